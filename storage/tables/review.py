"""The review tables: votes on answers and reviewers' verdicts on turns."""

from __future__ import annotations

from sqlalchemy import JSON, CheckConstraint, Column, Index, String, Table, Text, UniqueConstraint

from storage.tables.columns import UtcDateTime, metadata, optional, required, serial_id

__all__ = ["feedback", "reviews"]

# One vote per person per answer; a new vote replaces the old one.
feedback = Table(
    "feedback",
    metadata,
    serial_id(),
    required("trace_id"),
    required("team_id"),
    required("user_id"),
    required("vote"),
    optional("reason"),
    required("comment", Text, server_default=""),
    required("expected", Text, server_default=""),
    required("at", UtcDateTime),
    UniqueConstraint("trace_id", "user_id"),
    CheckConstraint("vote IN ('up', 'down')", name="vote"),
    Index("ix_feedback_vote_at", "vote", "at"),
)

# A reviewer's verdict on a turn (a 👎 or a rejection): its label and whether it joined the
# evaluation set.
reviews = Table(
    "reviews",
    metadata,
    Column("trace_id", String, primary_key=True),
    optional("label"),
    optional("labelled_by"),
    optional("labelled_at", UtcDateTime),
    optional("promoted_by"),
    optional("promoted_at", UtcDateTime),
    # The reviewer's corrections of what the evaluation case expects (agent, action...).
    optional("expected_json", JSON),
)
