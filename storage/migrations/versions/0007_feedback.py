"""Feedback and review: votes on answers, reviewers' labels, and an index for KPI windows.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa

from storage.migrations import ops

revision: str = "0007"
down_revision: str | None = "0006"

upgrade, downgrade = ops.reversible(
    ops.Table(
        "feedback",
        ops.serial_id(),
        *ops.strings("trace_id", "team_id", "user_id", "vote"),
        ops.optional("reason"),
        ops.column("comment", sa.Text(), server_default=""),
        ops.column("expected", sa.Text(), server_default=""),
        ops.at("at"),
        sa.CheckConstraint("vote IN ('up', 'down')", name="ck_feedback_vote"),
        ops.unique("feedback", "trace_id", "user_id"),
        indexes=[("vote", "at")],
    ),
    ops.Table(
        "reviews",
        ops.column("trace_id"),
        *ops.strings("label", "labelled_by", nullable=True),
        ops.at("labelled_at", nullable=True),
        ops.optional("promoted_by"),
        ops.at("promoted_at", nullable=True),
        ops.optional("expected_json", sa.JSON()),
        key=("trace_id",),
    ),
    ops.Index("traces", "started_at"),
)
