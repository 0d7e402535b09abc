"""Approvals keep the canonical action their approvers consent to and its digest, and a card
is found by its message (a click counts only on its own request's card).

Both columns are nullable: a request stored before this revision loads without them and runs
unchecked (see ``agents/actions/runs.py``).
"""

from __future__ import annotations

import sqlalchemy as sa

from storage.migrations import ops

revision, down_revision = ops.numbered(__file__)

upgrade, downgrade = ops.reversible(
    ops.AddColumns(
        "approvals", ops.optional("canonical_json", sa.Text()), ops.optional("action_digest")
    ),
    ops.Index("approvals", "channel_id", "message_ts"),
)
