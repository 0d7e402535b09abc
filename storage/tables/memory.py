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
    required,
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
    required("team_id"),
    required("scope"),
    required("scope_id"),  # "" for the team scope
    required("text", Text),
    required("author"),
    required("created_at", UtcDateTime),
    required("source_channel"),
    required("source_ts"),
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
    required("digest"),
    required("indexed_at", UtcDateTime),
)

knowledge_chunks = Table(
    "knowledge_chunks",
    metadata,
    serial_id(),
    owned_by("source", String, "knowledge_files.source"),
    required("heading", Text),
    required("anchor"),
    required("text", Text),
    required("position", Integer),
    Index("ix_knowledge_chunks_source_position", "source", "position"),
)

knowledge_misses = Table(
    "knowledge_misses",
    metadata,
    serial_id(),
    *team_channel_user(),
    required("query", Text),
    required("at", UtcDateTime),
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
    required("facts", JSON),
    required("summary", Text),
    required("covered", Integer),
    required("updated_at", UtcDateTime),
)
