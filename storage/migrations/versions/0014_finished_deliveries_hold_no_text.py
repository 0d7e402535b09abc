"""Finished deliveries hold no text: blank what deliveries finished before finishing one
blanked its text still keep (data only; the schema is unchanged).

Erasure then finds every delivery that still holds someone's words among those still being
worked on (by the status index), instead of reading every delivery ever received.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04
"""

from __future__ import annotations

from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"


def upgrade() -> None:
    """Blank ``events.text`` of finished deliveries."""
    op.execute("UPDATE events SET text = '' WHERE status IN ('done', 'failed') AND text <> ''")


def downgrade() -> None:
    """Nothing to undo: the blanked text is gone (on purpose)."""
