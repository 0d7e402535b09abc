"""Deliveries under a lease: the process working on one holds it, renews it while it works,
and only a delivery whose lease ran out is recovered by another process.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add ``events.lease_owner`` and ``events.lease_expires_at``."""
    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("lease_owner", sa.String(), nullable=True))
        batch.add_column(sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    """Drop what upgrade created."""
    with op.batch_alter_table("events") as batch:
        batch.drop_column("lease_expires_at")
        batch.drop_column("lease_owner")
