"""A turn's tables: deliveries claimed (dedupe), conversations and messages, traces, locks."""

from __future__ import annotations

import sqlalchemy as sa

from storage.tables.columns import (
    Id,
    UtcDateTime,
    lease,
    metadata,
    optional,
    owned_by,
    required,
    required_strings,
    serial_id,
    team_channel_user,
)

__all__ = [
    "conversation_locks",
    "conversations",
    "events",
    "messages",
    "traces",
    "turn_stops",
    "view_contexts",
]

events = sa.Table(
    "events",
    metadata,
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
    sa.CheckConstraint("status IN ('claimed', 'done', 'failed')", name="status"),
    sa.Index("ix_events_status_received_at", "status", "received_at"),
)

conversations = sa.Table(
    "conversations",
    metadata,
    serial_id(),
    *required_strings("team_id", "channel_id"),
    required("thread_ts"),  # "" is the channel's top level
    required("created_at", UtcDateTime),
    required("updated_at", UtcDateTime),
    sa.UniqueConstraint("team_id", "channel_id", "thread_ts"),
)

messages = sa.Table(
    "messages",
    metadata,
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
    sa.CheckConstraint("direction IN ('in', 'out')", name="direction"),
    sa.CheckConstraint("status IN ('received', 'pending', 'sent')", name="status"),
    sa.Index("ix_messages_conversation_id_id", "conversation_id", "id"),
    sa.Index("ix_messages_ts", "ts"),
    sa.Index("ix_messages_created_at", "created_at"),
)

traces = sa.Table(
    "traces",
    metadata,
    sa.Column("trace_id", sa.String, primary_key=True),
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
    sa.Index("ix_traces_started_at", "started_at"),  # KPIs read a window of turns
)

# Who runs a turn in a thread now, until when (PostgreSQL: one turn per thread across
# replicas; a crashed holder's lease runs out).
conversation_locks = sa.Table(
    "conversation_locks",
    metadata,
    sa.Column("key", sa.String, primary_key=True),
    required("owner"),
    required("expires_at", UtcDateTime),
)

# Stop requests (Slack's Stop button), so the replica running the thread's turn hears of one
# that another replica received. Kept an hour, long past any turn.
turn_stops = sa.Table(
    "turn_stops",
    metadata,
    serial_id(),
    *required_strings("team_id", "channel_id", "thread_ts", "user_id"),
    required("requested_at", UtcDateTime),
    sa.Index("ix_turn_stops_requested_at", "requested_at"),
)

# What each person views in Slack beside the agent (app_context_changed), for their turns.
view_contexts = sa.Table(
    "view_contexts",
    metadata,
    *required_strings("team_id", "user_id"),
    optional("channel_id"),
    required("updated_at", UtcDateTime),
    sa.PrimaryKeyConstraint("team_id", "user_id"),
)
