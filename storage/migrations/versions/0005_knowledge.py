"""Knowledge: runbook files, their chunks, the full-text index, and the misses.

The full-text index depends on the engine: SQLite gets an FTS5 table over the chunks
(external content, kept by triggers, ranked with bm25); PostgreSQL a generated ``tsvector``
column with a GIN index.
"""

from __future__ import annotations

import sqlalchemy as sa

from storage.migrations import ops

revision, down_revision = ops.numbered(__file__)

_SQLITE_FTS = (
    "CREATE VIRTUAL TABLE knowledge_fts USING fts5("
    "heading, text, content='knowledge_chunks', content_rowid='id', "
    "tokenize='porter unicode61')",
    "CREATE TRIGGER knowledge_chunks_ai AFTER INSERT ON knowledge_chunks BEGIN "
    "INSERT INTO knowledge_fts(rowid, heading, text) VALUES (new.id, new.heading, new.text); "
    "END",
    "CREATE TRIGGER knowledge_chunks_ad AFTER DELETE ON knowledge_chunks BEGIN "
    "INSERT INTO knowledge_fts(knowledge_fts, rowid, heading, text) "
    "VALUES ('delete', old.id, old.heading, old.text); END",
)
_PG_SEARCH = (
    "ALTER TABLE knowledge_chunks ADD COLUMN search tsvector GENERATED ALWAYS AS "
    "(setweight(to_tsvector('english', heading), 'A') || to_tsvector('english', text)) STORED",
    "CREATE INDEX ix_knowledge_chunks_search ON knowledge_chunks USING gin (search)",
)
upgrade, downgrade = ops.reversible(
    ops.Table(
        "knowledge_files",
        *ops.strings("source", "digest"),
        ops.at("indexed_at"),
        key=("source",),
    ),
    ops.Table(
        "knowledge_chunks",
        ops.serial_id(),
        ops.column("source"),
        ops.column("heading", sa.Text()),
        ops.column("anchor"),
        ops.column("text", sa.Text()),
        ops.column("position", sa.Integer()),
        ops.cascade("knowledge_chunks", "source", "knowledge_files.source"),
        indexes=[("source", "position")],
    ),
    ops.Table(
        "knowledge_misses",
        ops.serial_id(),
        *ops.strings("team_id", "channel_id", "user_id"),
        ops.column("query", sa.Text()),
        ops.at("at"),
        indexes=[("at",)],
    ),
    # The FTS5 table's triggers go with knowledge_chunks; the tsvector column too.
    ops.Sql(sqlite=_SQLITE_FTS, postgresql=_PG_SEARCH, undo_sqlite=["DROP TABLE knowledge_fts"]),
)
