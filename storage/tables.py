"""The schema, as SQLAlchemy Core tables; ``migrations/`` creates exactly this.

Timestamps are ``TIMESTAMP WITH TIME ZONE`` on PostgreSQL and UTC text on SQLite; either way
they go in and come out timezone-aware UTC (:class:`UtcDateTime`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import get_args

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.types import TypeDecorator

from agents.actions.approval import ApprovalState
from agents.incidents.records import IncidentStatus, TimelineKind
from agents.memory.notes import NoteScope

__all__ = [
    "APPROVAL_STATES",
    "NAMING_CONVENTION",
    "UtcDateTime",
    "approval_votes",
    "approvals",
    "audit_log",
    "conversation_locks",
    "conversations",
    "events",
    "feedback",
    "incident_timeline",
    "incidents",
    "jobs",
    "knowledge_chunks",
    "knowledge_files",
    "knowledge_misses",
    "llm_usage",
    "messages",
    "metadata",
    "notes",
    "rate_buckets",
    "reviews",
    "thread_memory",
    "traces",
]

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)

# 64-bit ids on PostgreSQL; on SQLite only INTEGER PRIMARY KEY is the (autoincrementing) rowid.
_Id = BigInteger().with_variant(Integer(), "sqlite")


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware datetime stored as UTC; naive datetimes are refused."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Convert to UTC (SQLite keeps no offset, so every stored value must be UTC)."""
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("naive datetime: storage takes timezone-aware datetimes only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Return the stored instant as an aware UTC datetime."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


events = Table(
    "events",
    metadata,
    Column("id", _Id, primary_key=True),
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
    Column("id", _Id, primary_key=True),
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
    Column("id", _Id, primary_key=True),
    Column(
        "conversation_id",
        _Id,
        ForeignKey("conversations.id", ondelete="CASCADE"),
        nullable=False,
    ),
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
    Column("team_id", String, nullable=False),
    Column("channel_id", String, nullable=False),
    Column("user_id", String, nullable=False),
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

# The approval states of the domain (the migration spells them out, as migrations must).
APPROVAL_STATES: tuple[str, ...] = get_args(ApprovalState)


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(value) for value in values)})"


approvals = Table(
    "approvals",
    metadata,
    Column("id", String, primary_key=True),
    Column("token", String, nullable=False, unique=True),
    Column("action", String, nullable=False),
    Column("params_json", JSON, nullable=False),
    Column("requester", String, nullable=False),
    Column("team_id", String, nullable=False),
    Column("channel_id", String, nullable=False),
    Column("thread_ts", String, nullable=True),
    Column("trace_id", String, nullable=False),
    Column("idempotency_key", String, nullable=False, unique=True),
    Column("quorum", Integer, nullable=False),
    Column("self_approval", Boolean, nullable=False),
    Column("state", String, nullable=False),
    Column("approvals_json", JSON, nullable=False),  # user ids that approved, in order
    Column("decided_by", String, nullable=True),
    Column("reason", Text, nullable=True),
    Column("result", Text, nullable=True),
    Column("message_ts", String, nullable=True),
    Column("version", Integer, nullable=False),
    Column("edits", Integer, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=True),  # None until the first transition
    CheckConstraint(_one_of("state", APPROVAL_STATES), name="state"),
    Index("ix_approvals_state_expires_at", "state", "expires_at"),
    Index("ix_approvals_team_id_state", "team_id", "state"),
)

approval_votes = Table(
    "approval_votes",
    metadata,
    Column("id", _Id, primary_key=True),
    Column(
        "approval_id",
        String,
        ForeignKey("approvals.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("voter", String, nullable=False),
    Column("vote", String, nullable=False),
    Column("round", Integer, nullable=False),  # the approval's ``edits`` when the vote was cast
    Column("at", UtcDateTime, nullable=False),
    UniqueConstraint("approval_id", "voter", "round"),
    CheckConstraint("vote IN ('approve', 'reject')", name="vote"),
)

jobs = Table(
    "jobs",
    metadata,
    Column("id", String, primary_key=True),
    Column(
        "approval_id",
        String,
        ForeignKey("approvals.id", ondelete="CASCADE"),
        nullable=False,
        unique=True,
    ),
    Column("idempotency_key", String, nullable=False),
    Column("state", String, nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("lease_owner", String, nullable=True),
    Column("lease_expires_at", UtcDateTime, nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("finished_at", UtcDateTime, nullable=True),
    CheckConstraint("state IN ('queued', 'running', 'done')", name="state"),
    Index("ix_jobs_state_created_at", "state", "created_at"),
)

# Append-only: the migration adds triggers that refuse UPDATE and DELETE (not in MetaData).
audit_log = Table(
    "audit_log",
    metadata,
    Column("id", _Id, primary_key=True),
    Column("at", UtcDateTime, nullable=False),
    Column("actor", String, nullable=False),
    Column("kind", String, nullable=False),
    Column("action", String, nullable=False),
    Column("approval_id", String, nullable=True),  # no foreign key: the trail outlives rows
    Column("trace_id", String, nullable=True),
    Column("details_json", JSON, nullable=False),
    Index("ix_audit_log_at", "at"),
    Index("ix_audit_log_action_at", "action", "at"),
    Index("ix_audit_log_approval_id", "approval_id"),
)

# One row per model call: the budgets sum these (indexes per scope, newest last).
llm_usage = Table(
    "llm_usage",
    metadata,
    Column("id", _Id, primary_key=True),
    Column("trace_id", String, nullable=False),
    Column("team_id", String, nullable=False),
    Column("channel_id", String, nullable=False),
    Column("user_id", String, nullable=False),
    Column("agent", String, nullable=False),
    Column("provider", String, nullable=False),
    Column("model", String, nullable=False),
    Column("input_tokens", Integer, nullable=False),
    Column("output_tokens", Integer, nullable=False),
    Column("cost_micros", BigInteger, nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Index("ix_llm_usage_team_id_at", "team_id", "at"),
    Index("ix_llm_usage_team_id_agent_at", "team_id", "agent", "at"),
    Index("ix_llm_usage_team_id_user_id_at", "team_id", "user_id", "at"),
    Index("ix_llm_usage_team_id_channel_id_at", "team_id", "channel_id", "at"),
)

rate_buckets = Table(
    "rate_buckets",
    metadata,
    Column("key", String, primary_key=True),
    Column("tokens", Float, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

INCIDENT_STATUSES: tuple[str, ...] = get_args(IncidentStatus)
TIMELINE_KINDS: tuple[str, ...] = get_args(TimelineKind)

incidents = Table(
    "incidents",
    metadata,
    Column("incident_id", String, primary_key=True),
    Column("team_id", String, nullable=False),
    Column("channel_id", String, nullable=False),
    Column("channel_name", String, nullable=False),
    Column("origin_channel_id", String, nullable=False),
    Column("title", Text, nullable=False),
    Column("severity", String, nullable=False),
    Column("status", String, nullable=False),
    Column("reporter", String, nullable=False),
    Column("declared_at", UtcDateTime, nullable=False),
    Column("resolved_at", UtcDateTime, nullable=True),
    UniqueConstraint("team_id", "channel_id"),
    CheckConstraint(_one_of("status", INCIDENT_STATUSES), name="status"),
    Index("ix_incidents_team_id_status", "team_id", "status"),
)

incident_timeline = Table(
    "incident_timeline",
    metadata,
    Column("id", _Id, primary_key=True),
    Column(
        "incident_id",
        String,
        ForeignKey("incidents.incident_id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("at", UtcDateTime, nullable=False),
    Column("user_id", String, nullable=False),
    Column("kind", String, nullable=False),
    Column("text", Text, nullable=False),
    CheckConstraint(_one_of("kind", TIMELINE_KINDS), name="kind"),
    Index("ix_incident_timeline_incident_id_id", "incident_id", "id"),
)

NOTE_SCOPES: tuple[str, ...] = get_args(NoteScope)

notes = Table(
    "notes",
    metadata,
    Column("note_id", String, primary_key=True),
    Column("team_id", String, nullable=False),
    Column("scope", String, nullable=False),
    Column("scope_id", String, nullable=False),  # "" for the team scope
    Column("text", Text, nullable=False),
    Column("author", String, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("source_channel", String, nullable=False),
    Column("source_ts", String, nullable=False),
    CheckConstraint(_one_of("scope", NOTE_SCOPES), name="scope"),
    Index("ix_notes_team_id_scope_scope_id", "team_id", "scope", "scope_id"),
    Index("ix_notes_team_id_source_channel_source_ts", "team_id", "source_channel", "source_ts"),
    Index("ix_notes_created_at", "created_at"),
)

# Runbook knowledge. The full-text index is not in the MetaData (the migration makes it):
# on SQLite the FTS5 table ``knowledge_fts`` kept by triggers, on PostgreSQL the generated
# ``search`` tsvector column with a GIN index. ``NOT_IN_METADATA`` tells the schema check.
knowledge_files = Table(
    "knowledge_files",
    metadata,
    Column("source", String, primary_key=True),
    Column("digest", String, nullable=False),
    Column("indexed_at", UtcDateTime, nullable=False),
)

knowledge_chunks = Table(
    "knowledge_chunks",
    metadata,
    Column("id", _Id, primary_key=True),
    Column(
        "source",
        String,
        ForeignKey("knowledge_files.source", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("heading", Text, nullable=False),
    Column("anchor", String, nullable=False),
    Column("text", Text, nullable=False),
    Column("position", Integer, nullable=False),
    Index("ix_knowledge_chunks_source_position", "source", "position"),
)

knowledge_misses = Table(
    "knowledge_misses",
    metadata,
    Column("id", _Id, primary_key=True),
    Column("team_id", String, nullable=False),
    Column("channel_id", String, nullable=False),
    Column("user_id", String, nullable=False),
    Column("query", Text, nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Index("ix_knowledge_misses_at", "at"),
)

thread_memory = Table(
    "thread_memory",
    metadata,
    Column("team_id", String, primary_key=True),
    Column("channel_id", String, primary_key=True),
    Column("thread_ts", String, primary_key=True),
    Column("facts", JSON, nullable=False),
    Column("summary", Text, nullable=False),
    Column("covered", Integer, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

# One vote per person per answer; a new vote replaces the old one.
feedback = Table(
    "feedback",
    metadata,
    Column("id", _Id, primary_key=True),
    Column("trace_id", String, nullable=False),
    Column("team_id", String, nullable=False),
    Column("user_id", String, nullable=False),
    Column("vote", String, nullable=False),
    Column("reason", String, nullable=True),
    Column("comment", Text, nullable=False, server_default=""),
    Column("expected", Text, nullable=False, server_default=""),
    Column("at", UtcDateTime, nullable=False),
    UniqueConstraint("trace_id", "user_id"),
    CheckConstraint("vote IN ('up', 'down')", name="vote"),
    Index("ix_feedback_vote_at", "vote", "at"),
)

# A reviewer's verdict on a turn (a 👎 or a rejection): its label and whether it joined the
# evaluation set.
reviews = Table(
    "reviews",
    metadata,
    Column("trace_id", String, primary_key=True),
    Column("label", String, nullable=True),
    Column("labelled_by", String, nullable=True),
    Column("labelled_at", UtcDateTime, nullable=True),
    Column("promoted_by", String, nullable=True),
    Column("promoted_at", UtcDateTime, nullable=True),
    # The reviewer's corrections of what the evaluation case expects (agent, action...).
    Column("expected_json", JSON, nullable=True),
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

NOT_IN_METADATA = frozenset({"knowledge_fts", "knowledge_chunks.search"})
"""Schema objects the migrations make on purpose outside the MetaData (prefix match for
FTS5's shadow tables ``knowledge_fts_*``)."""
