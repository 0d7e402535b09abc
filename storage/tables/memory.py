"""Memory's tables: long-term notes, the runbook index and its misses, thread memory."""

from __future__ import annotations

from typing import get_args

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    Index,
    Integer,
    String,
    Table,
    Text,
)

from agents.memory.notes import NoteScope
from storage.tables.columns import (
    UtcDateTime,
    metadata,
    one_of,
    owned_by,
    serial_id,
    team_channel_user,
)

__all__ = [
    "NOTE_SCOPES",
    "NOT_IN_METADATA",
    "knowledge_chunks",
    "knowledge_files",
    "knowledge_misses",
    "notes",
    "thread_memory",
]

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
    CheckConstraint(one_of("scope", NOTE_SCOPES), name="scope"),
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
    serial_id(),
    owned_by("source", String, "knowledge_files.source"),
    Column("heading", Text, nullable=False),
    Column("anchor", String, nullable=False),
    Column("text", Text, nullable=False),
    Column("position", Integer, nullable=False),
    Index("ix_knowledge_chunks_source_position", "source", "position"),
)

knowledge_misses = Table(
    "knowledge_misses",
    metadata,
    serial_id(),
    *team_channel_user(),
    Column("query", Text, nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Index("ix_knowledge_misses_at", "at"),
)

NOT_IN_METADATA = frozenset({"knowledge_fts", "knowledge_chunks.search"})
"""Schema objects the migrations make on purpose outside the MetaData (prefix match for
FTS5's shadow tables ``knowledge_fts_*``)."""

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
