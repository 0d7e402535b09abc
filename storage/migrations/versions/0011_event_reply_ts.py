"""The message a streamed reply is written into, so recovery finishes it instead of posting.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add ``events.reply_ts``."""
    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("reply_ts", sa.String(), nullable=True))


def downgrade() -> None:
    """Drop what upgrade created."""
    with op.batch_alter_table("events") as batch:
        batch.drop_column("reply_ts")
