"""Enterprise Grid: the organization of each workspace seen, so that work done later for a
workspace (an approved job after a restart) finds its organization's org-wide install.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create ``slack_org_workspaces``."""
    op.create_table(
        "slack_org_workspaces",
        sa.Column("team_id", sa.String(), nullable=False),
        sa.Column("enterprise_id", sa.String(), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("team_id", name="pk_slack_org_workspaces"),
    )
    op.create_index(
        "ix_slack_org_workspaces_enterprise_id", "slack_org_workspaces", ["enterprise_id"]
    )


def downgrade() -> None:
    """Drop what upgrade created."""
    op.drop_index("ix_slack_org_workspaces_enterprise_id", "slack_org_workspaces")
    op.drop_table("slack_org_workspaces")
