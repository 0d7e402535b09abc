"""The review tables: votes on answers and reviewers' verdicts on turns."""

from __future__ import annotations

import sqlalchemy as sa

from storage.tables.columns import optional, required, required_strings, serial_id
from storage.tables.schema import check, table
from storage.tables.types import UtcDateTime

__all__ = ["feedback", "reviews"]

# One vote per person per answer; a new vote replaces the old one.
feedback = table(
    "feedback",
    serial_id(),
    *required_strings("trace_id", "team_id", "user_id", "vote"),
    optional("reason"),
    required("comment", sa.Text, server_default=""),
    required("expected", sa.Text, server_default=""),
    required("at", UtcDateTime),
    sa.UniqueConstraint("trace_id", "user_id"),
    check("vote", "up", "down"),
    indexes=[("vote", "at")],
)

# A reviewer's verdict on a turn (a 👎 or a rejection): its label and whether it joined the
# evaluation set.
reviews = table(
    "reviews",
    required("trace_id"),
    optional("label"),
    optional("labelled_by"),
    optional("labelled_at", UtcDateTime),
    optional("promoted_by"),
    optional("promoted_at", UtcDateTime),
    # The reviewer's corrections of what the evaluation case expects (agent, action...).
    optional("expected_json", sa.JSON),
    key=("trace_id",),
)
