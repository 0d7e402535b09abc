"""Finished deliveries hold no text: blank what deliveries finished before finishing one
blanked its text still keep (data only; the schema is unchanged).

Erasure then finds every delivery that still holds someone's words among those still being
worked on (by the status index), instead of reading every delivery ever received.
"""

from __future__ import annotations

from alembic import op

from storage.migrations import ops

revision, down_revision = ops.numbered(__file__)


def upgrade() -> None:
    """Blank ``events.text`` of finished deliveries."""
    op.execute("UPDATE events SET text = '' WHERE status IN ('done', 'failed') AND text <> ''")


def downgrade() -> None:
    """Nothing to undo: the blanked text is gone (on purpose)."""
