"""Baseline: events, conversations, messages, traces.

Written by hand to match ``storage/tables.py`` at this revision; later revisions change the
schema, never this file.
"""

from __future__ import annotations

import sqlalchemy as sa

from storage.migrations import ops

revision, down_revision = ops.numbered(__file__)

upgrade, downgrade = ops.reversible(
    ops.Table(
        "events",
        ops.serial_id(),
        *ops.strings("team_id", "event_id", "trace_id", "source", "channel_id", "user_id"),
        ops.column("text", sa.Text()),
        ops.column("ts"),
        ops.optional("thread_ts"),
        ops.at("received_at"),
        ops.column("status"),
        ops.column("attempts", sa.Integer(), server_default="0"),
        ops.at("finished_at", nullable=True),
        ops.unique("events", "team_id", "event_id"),
        ops.check("events", "status", "claimed", "done", "failed"),
        indexes=[("status", "received_at")],
    ),
    ops.Table(
        "conversations",
        ops.serial_id(),
        *ops.strings("team_id", "channel_id", "thread_ts"),
        ops.at("created_at"),
        ops.at("updated_at"),
        ops.unique("conversations", "team_id", "channel_id", "thread_ts"),
    ),
    ops.Table(
        "messages",
        ops.serial_id(),
        ops.column("conversation_id", ops.ID),
        *ops.strings("direction", "user_id"),
        ops.column("text", sa.Text()),
        ops.column("trace_id"),
        ops.optional("agent"),
        ops.optional("reply_json", sa.JSON()),
        ops.column("status"),
        ops.optional("ts"),
        ops.at("created_at"),
        ops.cascade("messages", "conversation_id", "conversations.id"),
        ops.unique("messages", "trace_id", "direction"),
        ops.check("messages", "direction", "in", "out"),
        ops.check("messages", "status", "received", "pending", "sent"),
        indexes=[("conversation_id", "id")],
    ),
    ops.Table(
        "traces",
        *ops.strings("trace_id", "team_id", "channel_id", "user_id", "event_id", "source", "agent"),
        ops.column("route_reason"),
        ops.column("route_score", sa.Float()),
        ops.column("outcome"),
        ops.optional("error", sa.Text()),
        ops.at("started_at"),
        *(ops.column(name, sa.Float()) for name in ("route_ms", "agent_ms", "total_ms")),
        ops.at("delivered_at", nullable=True),
        key=("trace_id",),
    ),
)
