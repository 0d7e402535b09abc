"""Memory's tables: long-term notes and thread memory."""

from __future__ import annotations

from typing import get_args

import sqlalchemy as sa

from agents.memory.notes import NoteScope
from storage.tables.columns import required, required_strings
from storage.tables.schema import check, table
from storage.tables.types import UtcDateTime

__all__ = ["NOTE_SCOPES", "notes", "thread_memory"]

NOTE_SCOPES: tuple[str, ...] = get_args(NoteScope)

notes = table(
    "notes",
    required("note_id"),
    *required_strings("team_id", "scope"),
    required("scope_id"),  # "" for the team scope
    required("text", sa.Text),
    required("author"),
    required("created_at", UtcDateTime),
    *required_strings("source_channel", "source_ts"),
    check("scope", *NOTE_SCOPES),
    key=("note_id",),
    indexes=[
        ("team_id", "scope", "scope_id"),
        ("team_id", "source_channel", "source_ts"),
        ("created_at",),
    ],
)

thread_memory = table(
    "thread_memory",
    required("team_id"),
    required("channel_id"),
    required("thread_ts"),
    required("facts", sa.JSON),
    required("summary", sa.Text),
    required("covered", sa.Integer),
    required("updated_at", UtcDateTime),
    key=("team_id", "channel_id", "thread_ts"),
)
