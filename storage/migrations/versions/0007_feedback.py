"""Feedback and review: votes on answers, reviewers' labels, and an index for KPI windows."""

from __future__ import annotations

import sqlalchemy as sa

from storage.migrations import ops

revision, down_revision = ops.numbered(__file__)

upgrade, downgrade = ops.reversible(
    ops.Table(
        "feedback",
        ops.serial_id(),
        *ops.strings("trace_id", "team_id", "user_id", "vote"),
        ops.optional("reason"),
        ops.column("comment", sa.Text(), server_default=""),
        ops.column("expected", sa.Text(), server_default=""),
        ops.at("at"),
        ops.check("feedback", "vote", "up", "down"),
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
