"""The review tables: votes on answers and reviewers' verdicts on turns."""

from __future__ import annotations

from sqlalchemy import JSON, CheckConstraint, Column, Index, String, Table, Text, UniqueConstraint

from storage.tables.columns import UtcDateTime, metadata, serial_id

__all__ = ["feedback", "reviews"]

# One vote per person per answer; a new vote replaces the old one.
feedback = Table(
    "feedback",
    metadata,
    serial_id(),
    Column("trace_id", String, nullable=False),
    Column("team_id", String, nullable=False),
    Column("user_id", String, nullable=False),
    Column("vote", String, nullable=False),
    Column("reason", String, nullable=True),
    Column("comment", Text, nullable=False, server_default=""),
    Column("expected", Text, nullable=False, server_default=""),
    Column("at", UtcDateTime, nullable=False),
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
    Column("label", String, nullable=True),
    Column("labelled_by", String, nullable=True),
    Column("labelled_at", UtcDateTime, nullable=True),
    Column("promoted_by", String, nullable=True),
    Column("promoted_at", UtcDateTime, nullable=True),
    # The reviewer's corrections of what the evaluation case expects (agent, action...).
    Column("expected_json", JSON, nullable=True),
)
