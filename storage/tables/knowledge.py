"""Knowledge's tables: the runbook index (files and their chunks) and the misses."""

from __future__ import annotations

import sqlalchemy as sa

from storage.tables.columns import owned_by, required, serial_id, team_channel_user
from storage.tables.schema import table
from storage.tables.types import UtcDateTime

__all__ = ["NOT_IN_METADATA", "knowledge_chunks", "knowledge_files", "knowledge_misses"]

# Runbook knowledge. The full-text index is not in the MetaData (the migration makes it):
# on SQLite the FTS5 table ``knowledge_fts`` kept by triggers, on PostgreSQL the generated
# ``search`` tsvector column with a GIN index. ``NOT_IN_METADATA`` tells the schema check.
knowledge_files = table(
    "knowledge_files",
    required("source"),
    required("digest"),
    required("indexed_at", UtcDateTime),
    key=("source",),
)

knowledge_chunks = table(
    "knowledge_chunks",
    serial_id(),
    owned_by("source", sa.String, "knowledge_files.source"),
    required("heading", sa.Text),
    required("anchor"),
    required("text", sa.Text),
    required("position", sa.Integer),
    indexes=[("source", "position")],
)

knowledge_misses = table(
    "knowledge_misses",
    serial_id(),
    *team_channel_user(),
    required("query", sa.Text),
    required("at", UtcDateTime),
    indexes=[("at",)],
)

NOT_IN_METADATA = frozenset({"knowledge_fts", "knowledge_chunks.search"})
"""Schema objects the migrations make on purpose outside the MetaData (prefix match for
FTS5's shadow tables ``knowledge_fts_*``)."""
