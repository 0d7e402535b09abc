"""The review tables: votes on answers and reviewers' verdicts on turns."""

from __future__ import annotations

import sqlalchemy as sa

from storage.tables.columns import (
    UtcDateTime,
    metadata,
    optional,
    required,
    required_strings,
    serial_id,
)

__all__ = ["feedback", "reviews"]

# One vote per person per answer; a new vote replaces the old one.
feedback = sa.Table(
    "feedback",
    metadata,
    serial_id(),
    *required_strings("trace_id", "team_id", "user_id", "vote"),
    optional("reason"),
    required("comment", sa.Text, server_default=""),
    required("expected", sa.Text, server_default=""),
    required("at", UtcDateTime),
    sa.UniqueConstraint("trace_id", "user_id"),
    sa.CheckConstraint("vote IN ('up', 'down')", name="vote"),
    sa.Index("ix_feedback_vote_at", "vote", "at"),
)

# A reviewer's verdict on a turn (a 👎 or a rejection): its label and whether it joined the
# evaluation set.
reviews = sa.Table(
    "reviews",
    metadata,
    sa.Column("trace_id", sa.String, primary_key=True),
    optional("label"),
    optional("labelled_by"),
    optional("labelled_at", UtcDateTime),
    optional("promoted_by"),
    optional("promoted_at", UtcDateTime),
    # The reviewer's corrections of what the evaluation case expects (agent, action...).
    optional("expected_json", sa.JSON),
)
