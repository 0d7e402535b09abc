"""Memory's tables: long-term notes, the runbook index and its misses, thread memory."""

from __future__ import annotations

from typing import get_args

import sqlalchemy as sa

from agents.memory.notes import NoteScope
from storage.tables.columns import (
    UtcDateTime,
    metadata,
    one_of,
    owned_by,
    required,
    required_strings,
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

notes = sa.Table(
    "notes",
    metadata,
    sa.Column("note_id", sa.String, primary_key=True),
    *required_strings("team_id", "scope"),
    required("scope_id"),  # "" for the team scope
    required("text", sa.Text),
    required("author"),
    required("created_at", UtcDateTime),
    *required_strings("source_channel", "source_ts"),
    sa.CheckConstraint(one_of("scope", NOTE_SCOPES), name="scope"),
    sa.Index("ix_notes_team_id_scope_scope_id", "team_id", "scope", "scope_id"),
    sa.Index("ix_notes_team_id_source_channel_source_ts", "team_id", "source_channel", "source_ts"),
    sa.Index("ix_notes_created_at", "created_at"),
)

# Runbook knowledge. The full-text index is not in the MetaData (the migration makes it):
# on SQLite the FTS5 table ``knowledge_fts`` kept by triggers, on PostgreSQL the generated
# ``search`` tsvector column with a GIN index. ``NOT_IN_METADATA`` tells the schema check.
knowledge_files = sa.Table(
    "knowledge_files",
    metadata,
    sa.Column("source", sa.String, primary_key=True),
    required("digest"),
    required("indexed_at", UtcDateTime),
)

knowledge_chunks = sa.Table(
    "knowledge_chunks",
    metadata,
    serial_id(),
    owned_by("source", sa.String, "knowledge_files.source"),
    required("heading", sa.Text),
    required("anchor"),
    required("text", sa.Text),
    required("position", sa.Integer),
    sa.Index("ix_knowledge_chunks_source_position", "source", "position"),
)

knowledge_misses = sa.Table(
    "knowledge_misses",
    metadata,
    serial_id(),
    *team_channel_user(),
    required("query", sa.Text),
    required("at", UtcDateTime),
    sa.Index("ix_knowledge_misses_at", "at"),
)

NOT_IN_METADATA = frozenset({"knowledge_fts", "knowledge_chunks.search"})
"""Schema objects the migrations make on purpose outside the MetaData (prefix match for
FTS5's shadow tables ``knowledge_fts_*``)."""

thread_memory = sa.Table(
    "thread_memory",
    metadata,
    sa.Column("team_id", sa.String, primary_key=True),
    sa.Column("channel_id", sa.String, primary_key=True),
    sa.Column("thread_ts", sa.String, primary_key=True),
    required("facts", sa.JSON),
    required("summary", sa.Text),
    required("covered", sa.Integer),
    required("updated_at", UtcDateTime),
)
