"""Approvals remember the agent that proposed them, so the worker checks again, right before a
run, that the action is still in that agent's scope (an MCP tool granted by ``mcp:``).

The column is nullable: a request stored before this revision (or completed from a question,
see ``agents/actions/proposals.py``) has no agent and runs on the requester's policy alone.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add ``approvals.agent``."""
    with op.batch_alter_table("approvals") as batch:
        batch.add_column(sa.Column("agent", sa.String(), nullable=True))


def downgrade() -> None:
    """Drop what upgrade created."""
    with op.batch_alter_table("approvals") as batch:
        batch.drop_column("agent")
