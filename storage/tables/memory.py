"""Memory's tables: long-term notes and thread memory."""

from __future__ import annotations

from typing import get_args

import sqlalchemy as sa

from agents.memory.notes import NoteScope
from storage.tables.columns import (
    UtcDateTime,
    metadata,
    one_of,
    required,
    required_strings,
)

__all__ = ["NOTE_SCOPES", "notes", "thread_memory"]

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
