"""Feedback and review: votes on answers, reviewers' labels, and an index for KPI windows.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Create ``feedback`` and ``reviews``; index traces by start time."""
    op.create_table(
        "feedback",
        sa.Column("id", _ID, nullable=False),
        sa.Column("trace_id", sa.String(), nullable=False),
        sa.Column("team_id", sa.String(), nullable=False),
        sa.Column("user_id", sa.String(), nullable=False),
        sa.Column("vote", sa.String(), nullable=False),
        sa.Column("reason", sa.String(), nullable=True),
        sa.Column("comment", sa.Text(), server_default="", nullable=False),
        sa.Column("expected", sa.Text(), server_default="", nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("vote IN ('up', 'down')", name="ck_feedback_vote"),
        sa.PrimaryKeyConstraint("id", name="pk_feedback"),
        sa.UniqueConstraint("trace_id", "user_id", name="uq_feedback_trace_id_user_id"),
    )
    op.create_index("ix_feedback_vote_at", "feedback", ["vote", "at"])
    op.create_table(
        "reviews",
        sa.Column("trace_id", sa.String(), nullable=False),
        sa.Column("label", sa.String(), nullable=True),
        sa.Column("labelled_by", sa.String(), nullable=True),
        sa.Column("labelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("promoted_by", sa.String(), nullable=True),
        sa.Column("promoted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expected_json", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("trace_id", name="pk_reviews"),
    )
    op.create_index("ix_traces_started_at", "traces", ["started_at"])


def downgrade() -> None:
    """Drop what upgrade created."""
    op.drop_index("ix_traces_started_at", table_name="traces")
    op.drop_table("reviews")
    op.drop_index("ix_feedback_vote_at", table_name="feedback")
    op.drop_table("feedback")
