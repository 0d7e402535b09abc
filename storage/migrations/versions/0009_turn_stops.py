"""Stopping turns: who stopped a turn (on its trace), and stop requests for every replica.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Add ``traces.stopped_by``; create ``turn_stops``."""
    with op.batch_alter_table("traces") as batch:
        batch.add_column(sa.Column("stopped_by", sa.String(), nullable=True))
    op.create_table(
        "turn_stops",
        sa.Column("id", _ID, nullable=False),
        sa.Column("team_id", sa.String(), nullable=False),
        sa.Column("channel_id", sa.String(), nullable=False),
        sa.Column("thread_ts", sa.String(), nullable=False),
        sa.Column("user_id", sa.String(), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_turn_stops"),
    )
    op.create_index("ix_turn_stops_requested_at", "turn_stops", ["requested_at"])


def downgrade() -> None:
    """Drop what upgrade created."""
    op.drop_index("ix_turn_stops_requested_at", table_name="turn_stops")
    op.drop_table("turn_stops")
    with op.batch_alter_table("traces") as batch:
        batch.drop_column("stopped_by")
