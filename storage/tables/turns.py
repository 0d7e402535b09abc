"""A turn's tables: deliveries claimed (dedupe), conversations and messages, traces, locks."""

from __future__ import annotations

import sqlalchemy as sa

from storage.tables.columns import (
    lease,
    optional,
    owned_by,
    required,
    required_strings,
    serial_id,
    team_channel_user,
)
from storage.tables.schema import check, table
from storage.tables.types import Id, UtcDateTime

__all__ = [
    "conversation_locks",
    "conversations",
    "events",
    "messages",
    "traces",
    "turn_stops",
    "view_contexts",
]

events = table(
    "events",
    serial_id(),
    *required_strings("team_id", "event_id", "trace_id", "source", "channel_id", "user_id"),
    required("text", sa.Text),
    required("ts"),
    optional("thread_ts"),
    required("received_at", UtcDateTime),
    required("status"),
    required("attempts", sa.Integer, server_default="0"),
    optional("finished_at", UtcDateTime),
    optional("reply_ts"),  # the message a streamed reply is written into, once started
    *lease(),  # the process working on it, until when (another may recover it after)
    sa.UniqueConstraint("team_id", "event_id"),
    check("status", "claimed", "done", "failed"),
    indexes=[("status", "received_at")],
)

conversations = table(
    "conversations",
    serial_id(),
    *required_strings("team_id", "channel_id"),
    required("thread_ts"),  # "" is the channel's top level
    required("created_at", UtcDateTime),
    required("updated_at", UtcDateTime),
    sa.UniqueConstraint("team_id", "channel_id", "thread_ts"),
)

messages = table(
    "messages",
    serial_id(),
    owned_by("conversation_id", Id, "conversations.id"),
    required("direction"),
    required("user_id"),  # "" for the bot's own replies
    required("text", sa.Text),
    required("trace_id"),
    optional("agent"),
    optional("reply_json", sa.JSON),
    required("status"),
    optional("ts"),
    required("created_at", UtcDateTime),
    sa.UniqueConstraint("trace_id", "direction"),
    check("direction", "in", "out"),
    check("status", "received", "pending", "sent"),
    indexes=[("conversation_id", "id"), ("ts",), ("created_at",)],
)

traces = table(
    "traces",
    required("trace_id"),
    *team_channel_user(),
    *required_strings("event_id", "source", "agent", "route_reason"),
    required("route_score", sa.Float),
    required("outcome"),
    optional("error", sa.Text),
    required("started_at", UtcDateTime),
    required("route_ms", sa.Float),
    required("agent_ms", sa.Float),
    required("total_ms", sa.Float),
    optional("delivered_at", UtcDateTime),
    required("planner", server_default="none"),
    optional("provider"),
    required("input_tokens", sa.Integer, server_default="0"),
    required("output_tokens", sa.Integer, server_default="0"),
    required("cost_micros", sa.BigInteger, server_default="0"),
    optional("degraded"),
    required("tool_calls", sa.JSON, server_default="[]"),
    optional("stopped_by"),
    key=("trace_id",),
    # KPIs read a window of turns
    indexes=[("started_at",)],
)

# Who runs a turn in a thread now, until when (PostgreSQL: one turn per thread across
# replicas; a crashed holder's lease runs out).
conversation_locks = table(
    "conversation_locks",
    required("key"),
    required("owner"),
    required("expires_at", UtcDateTime),
    key=("key",),
)

# Stop requests (Slack's Stop button), so the replica running the thread's turn hears of one
# that another replica received. Kept an hour, long past any turn.
turn_stops = table(
    "turn_stops",
    serial_id(),
    *required_strings("team_id", "channel_id", "thread_ts", "user_id"),
    required("requested_at", UtcDateTime),
    indexes=[("requested_at",)],
)

# What each person views in Slack beside the agent (app_context_changed), for their turns.
view_contexts = table(
    "view_contexts",
    *required_strings("team_id", "user_id"),
    optional("channel_id"),
    required("updated_at", UtcDateTime),
    key=("team_id", "user_id"),
)
