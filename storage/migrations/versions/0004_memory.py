"""Memory: long-term notes; indexes for erasing messages by Slack ts and purging by age.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SCOPES = "scope IN ('team', 'channel', 'user', 'agent')"


def upgrade() -> None:
    """Create ``notes`` and the message indexes."""
    op.create_table(
        "notes",
        sa.Column("note_id", sa.String(), nullable=False),
        sa.Column("team_id", sa.String(), nullable=False),
        sa.Column("scope", sa.String(), nullable=False),
        sa.Column("scope_id", sa.String(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("author", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source_channel", sa.String(), nullable=False),
        sa.Column("source_ts", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("note_id", name="pk_notes"),
        sa.CheckConstraint(_SCOPES, name="ck_notes_scope"),
    )
    op.create_index("ix_notes_team_id_scope_scope_id", "notes", ["team_id", "scope", "scope_id"])
    op.create_index(
        "ix_notes_team_id_source_channel_source_ts",
        "notes",
        ["team_id", "source_channel", "source_ts"],
    )
    op.create_index("ix_notes_created_at", "notes", ["created_at"])
    op.create_index("ix_messages_ts", "messages", ["ts"])
    op.create_index("ix_messages_created_at", "messages", ["created_at"])


def downgrade() -> None:
    """Drop what upgrade created."""
    op.drop_index("ix_messages_created_at", table_name="messages")
    op.drop_index("ix_messages_ts", table_name="messages")
    op.drop_table("notes")
