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

from storage.tables.columns import Id, UtcDateTime, metadata, owned_by, serial_id, team_channel_user

__all__ = ["conversation_locks", "conversations", "events", "messages", "traces"]

events = Table(
    "events",
    metadata,
    serial_id(),
    Column("team_id", String, nullable=False),
    Column("event_id", String, nullable=False),
    Column("trace_id", String, nullable=False),
    Column("source", String, nullable=False),
    Column("channel_id", String, nullable=False),
    Column("user_id", String, nullable=False),
    Column("text", Text, nullable=False),
    Column("ts", String, nullable=False),
    Column("thread_ts", String, nullable=True),
    Column("received_at", UtcDateTime, nullable=False),
    Column("status", String, nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("finished_at", UtcDateTime, nullable=True),
    UniqueConstraint("team_id", "event_id"),
    CheckConstraint("status IN ('claimed', 'done', 'failed')", name="status"),
    Index("ix_events_status_received_at", "status", "received_at"),
)

conversations = Table(
    "conversations",
    metadata,
    serial_id(),
    Column("team_id", String, nullable=False),
    Column("channel_id", String, nullable=False),
    Column("thread_ts", String, nullable=False),  # "" is the channel's top level
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    UniqueConstraint("team_id", "channel_id", "thread_ts"),
)

messages = Table(
    "messages",
    metadata,
    serial_id(),
    owned_by("conversation_id", Id, "conversations.id"),
    Column("direction", String, nullable=False),
    Column("user_id", String, nullable=False),  # "" for the bot's own replies
    Column("text", Text, nullable=False),
    Column("trace_id", String, nullable=False),
    Column("agent", String, nullable=True),
    Column("reply_json", JSON, nullable=True),
    Column("status", String, nullable=False),
    Column("ts", String, nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
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
    Column("event_id", String, nullable=False),
    Column("source", String, nullable=False),
    Column("agent", String, nullable=False),
    Column("route_reason", String, nullable=False),
    Column("route_score", Float, nullable=False),
    Column("outcome", String, nullable=False),
    Column("error", Text, nullable=True),
    Column("started_at", UtcDateTime, nullable=False),
    Column("route_ms", Float, nullable=False),
    Column("agent_ms", Float, nullable=False),
    Column("total_ms", Float, nullable=False),
    Column("delivered_at", UtcDateTime, nullable=True),
    Column("planner", String, nullable=False, server_default="none"),
    Column("provider", String, nullable=True),
    Column("input_tokens", Integer, nullable=False, server_default="0"),
    Column("output_tokens", Integer, nullable=False, server_default="0"),
    Column("cost_micros", BigInteger, nullable=False, server_default="0"),
    Column("degraded", String, nullable=True),
    Column("tool_calls", JSON, nullable=False, server_default="[]"),
    Index("ix_traces_started_at", "started_at"),  # KPIs read a window of turns
)

# Who runs a turn in a thread now, until when (PostgreSQL: one turn per thread across
# replicas; a crashed holder's lease runs out).
conversation_locks = Table(
    "conversation_locks",
    metadata,
    Column("key", String, primary_key=True),
    Column("owner", String, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
)
