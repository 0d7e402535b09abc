"""A turn's tables: deliveries claimed (dedupe), conversations and messages, traces, locks."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Column,
    Float,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from storage.tables.columns import (
    Id,
    UtcDateTime,
    metadata,
    optional,
    owned_by,
    required,
    serial_id,
    team_channel_user,
)

__all__ = ["conversation_locks", "conversations", "events", "messages", "traces"]

events = Table(
    "events",
    metadata,
    serial_id(),
    required("team_id"),
    required("event_id"),
    required("trace_id"),
    required("source"),
    required("channel_id"),
    required("user_id"),
    required("text", Text),
    required("ts"),
    optional("thread_ts"),
    required("received_at", UtcDateTime),
    required("status"),
    required("attempts", Integer, server_default="0"),
    optional("finished_at", UtcDateTime),
    UniqueConstraint("team_id", "event_id"),
    CheckConstraint("status IN ('claimed', 'done', 'failed')", name="status"),
    Index("ix_events_status_received_at", "status", "received_at"),
)

conversations = Table(
    "conversations",
    metadata,
    serial_id(),
    required("team_id"),
    required("channel_id"),
    required("thread_ts"),  # "" is the channel's top level
    required("created_at", UtcDateTime),
    required("updated_at", UtcDateTime),
    UniqueConstraint("team_id", "channel_id", "thread_ts"),
)

messages = Table(
    "messages",
    metadata,
    serial_id(),
    owned_by("conversation_id", Id, "conversations.id"),
    required("direction"),
    required("user_id"),  # "" for the bot's own replies
    required("text", Text),
    required("trace_id"),
    optional("agent"),
    optional("reply_json", JSON),
    required("status"),
    optional("ts"),
    required("created_at", UtcDateTime),
    UniqueConstraint("trace_id", "direction"),
    CheckConstraint("direction IN ('in', 'out')", name="direction"),
    CheckConstraint("status IN ('received', 'pending', 'sent')", name="status"),
    Index("ix_messages_conversation_id_id", "conversation_id", "id"),
    Index("ix_messages_ts", "ts"),
    Index("ix_messages_created_at", "created_at"),
)

traces = Table(
    "traces",
    metadata,
    Column("trace_id", String, primary_key=True),
    *team_channel_user(),
    required("event_id"),
    required("source"),
    required("agent"),
    required("route_reason"),
    required("route_score", Float),
    required("outcome"),
    optional("error", Text),
    required("started_at", UtcDateTime),
    required("route_ms", Float),
    required("agent_ms", Float),
    required("total_ms", Float),
    optional("delivered_at", UtcDateTime),
    required("planner", server_default="none"),
    optional("provider"),
    required("input_tokens", Integer, server_default="0"),
    required("output_tokens", Integer, server_default="0"),
    required("cost_micros", BigInteger, server_default="0"),
    optional("degraded"),
    required("tool_calls", JSON, server_default="[]"),
    Index("ix_traces_started_at", "started_at"),  # KPIs read a window of turns
)

# Who runs a turn in a thread now, until when (PostgreSQL: one turn per thread across
# replicas; a crashed holder's lease runs out).
conversation_locks = Table(
    "conversation_locks",
    metadata,
    Column("key", String, primary_key=True),
    required("owner"),
    required("expires_at", UtcDateTime),
)
