"""Many workspaces: Slack app installations (OAuth v2) and the install states already used.

``slack_installations.secrets`` holds the installation with its tokens, sealed with
``SLACK_TOKEN_ENCRYPTION_KEY`` when one is set; the other columns are what lookups filter by.
``oauth_states_used`` makes a signed install ``state`` good for one install only.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.migrations import ops

revision, down_revision = ops.numbered(__file__)
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create ``slack_installations`` and ``oauth_states_used``."""
    op.create_table(
        "slack_installations",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("client_id", sa.String(), nullable=False),
        sa.Column("enterprise_id", sa.String(), nullable=True),
        sa.Column("team_id", sa.String(), nullable=True),
        sa.Column("is_enterprise_install", sa.Boolean(), nullable=False),
        sa.Column("user_id", sa.String(), nullable=False),
        sa.Column("bot_user_id", sa.String(), nullable=True),
        sa.Column("bot_token_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("installed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("secrets", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_slack_installations"),
    )
    op.create_index(
        "ix_slack_installations_client_id_team_id", "slack_installations", ["client_id", "team_id"]
    )
    op.create_index(
        "ix_slack_installations_client_id_enterprise_id",
        "slack_installations",
        ["client_id", "enterprise_id"],
    )
    op.create_table(
        "oauth_states_used",
        sa.Column("digest", sa.String(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("digest", name="pk_oauth_states_used"),
    )


def downgrade() -> None:
    """Drop what upgrade created."""
    op.drop_table("oauth_states_used")
    op.drop_index("ix_slack_installations_client_id_enterprise_id", "slack_installations")
    op.drop_index("ix_slack_installations_client_id_team_id", "slack_installations")
    op.drop_table("slack_installations")
