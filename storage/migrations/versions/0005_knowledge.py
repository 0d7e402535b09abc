"""Knowledge: runbook files, their chunks, the full-text index, and the misses.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24

The full-text index depends on the engine: SQLite gets an FTS5 table over the chunks
(external content, kept by triggers, ranked with bm25); PostgreSQL a generated ``tsvector``
column with a GIN index.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

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


def upgrade() -> None:
    """Create the knowledge tables and the engine's full-text index."""
    op.create_table(
        "knowledge_files",
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("digest", sa.String(), nullable=False),
        sa.Column("indexed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("source", name="pk_knowledge_files"),
    )
    op.create_table(
        "knowledge_chunks",
        sa.Column("id", _ID, nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("heading", sa.Text(), nullable=False),
        sa.Column("anchor", sa.String(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_knowledge_chunks"),
        sa.ForeignKeyConstraint(
            ["source"],
            ["knowledge_files.source"],
            name="fk_knowledge_chunks_source_knowledge_files",
            ondelete="CASCADE",
        ),
    )
    op.create_index(
        "ix_knowledge_chunks_source_position", "knowledge_chunks", ["source", "position"]
    )
    op.create_table(
        "knowledge_misses",
        sa.Column("id", _ID, nullable=False),
        sa.Column("team_id", sa.String(), nullable=False),
        sa.Column("channel_id", sa.String(), nullable=False),
        sa.Column("user_id", sa.String(), nullable=False),
        sa.Column("query", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_knowledge_misses"),
    )
    op.create_index("ix_knowledge_misses_at", "knowledge_misses", ["at"])
    statements = _SQLITE_FTS if op.get_bind().dialect.name == "sqlite" else _PG_SEARCH
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    """Drop what upgrade created."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE knowledge_fts")
    op.drop_table("knowledge_misses")
    op.drop_table("knowledge_chunks")
    op.drop_table("knowledge_files")
