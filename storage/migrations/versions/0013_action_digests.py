"""Approvals keep the canonical action their approvers consent to and its digest, and a card
is found by its message (a click counts only on its own request's card).

Both columns are nullable: a request stored before this revision loads without them and runs
unchecked (see ``agents/actions/runs.py``).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-10
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add ``approvals.canonical_json`` and ``approvals.action_digest``, and an index on the
    card's channel and message ts."""
    with op.batch_alter_table("approvals") as batch:
        batch.add_column(sa.Column("canonical_json", sa.Text(), nullable=True))
        batch.add_column(sa.Column("action_digest", sa.String(), nullable=True))
    op.create_index("ix_approvals_channel_id_message_ts", "approvals", ["channel_id", "message_ts"])


def downgrade() -> None:
    """Drop what upgrade created."""
    op.drop_index("ix_approvals_channel_id_message_ts", table_name="approvals")
    with op.batch_alter_table("approvals") as batch:
        batch.drop_column("action_digest")
        batch.drop_column("canonical_json")
