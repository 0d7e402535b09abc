"""Actions' tables: approvals and their votes, the jobs they become, the audit trail."""

from __future__ import annotations

from typing import get_args

import sqlalchemy as sa

from agents.actions.approval import ApprovalState
from storage.tables.columns import lease, optional, owned_by, required, required_strings, serial_id
from storage.tables.schema import check, table
from storage.tables.types import UtcDateTime

__all__ = ["APPROVAL_STATES", "approval_votes", "approvals", "audit_log", "jobs"]

# The approval states of the domain (the migration spells them out, as migrations must).
APPROVAL_STATES: tuple[str, ...] = get_args(ApprovalState)

approvals = table(
    "approvals",
    required("id"),
    required("token", unique=True),
    required("action"),
    required("params_json", sa.JSON),
    *required_strings("requester", "team_id", "channel_id"),
    optional("thread_ts"),
    required("trace_id"),
    required("idempotency_key", unique=True),
    required("quorum", sa.Integer),
    required("self_approval", sa.Boolean),
    required("state"),
    required("approvals_json", sa.JSON),  # user ids that approved, in order
    optional("decided_by"),
    optional("reason", sa.Text),
    optional("result", sa.Text),
    optional("message_ts"),
    required("version", sa.Integer),
    required("edits", sa.Integer),
    required("created_at", UtcDateTime),
    required("expires_at", UtcDateTime),
    optional("updated_at", UtcDateTime),  # None until the first transition
    # The canonical action the approvers consent to (sorted-keys JSON text, kept byte for
    # byte) and its SHA-256; None on requests stored before 0013.
    optional("canonical_json", sa.Text),
    optional("action_digest"),
    optional("agent"),  # the agent that proposed it (its scope is checked before the run)
    check("state", *APPROVAL_STATES),
    key=("id",),
    indexes=[("state", "expires_at"), ("team_id", "state"), ("channel_id", "message_ts")],
)

approval_votes = table(
    "approval_votes",
    serial_id(),
    owned_by("approval_id", sa.String, "approvals.id"),
    *required_strings("voter", "vote"),
    required("round", sa.Integer),  # the approval's ``edits`` when the vote was cast
    required("at", UtcDateTime),
    sa.UniqueConstraint("approval_id", "voter", "round"),
    check("vote", "approve", "reject"),
)

jobs = table(
    "jobs",
    required("id"),
    owned_by("approval_id", sa.String, "approvals.id", unique=True),
    *required_strings("idempotency_key", "state"),
    required("attempts", sa.Integer, server_default="0"),
    *lease(),
    required("created_at", UtcDateTime),
    optional("finished_at", UtcDateTime),
    check("state", "queued", "running", "done"),
    key=("id",),
    indexes=[("state", "created_at")],
)

# Append-only: the migration adds triggers that refuse UPDATE and DELETE (not in MetaData).
audit_log = table(
    "audit_log",
    serial_id(),
    required("at", UtcDateTime),
    *required_strings("actor", "kind", "action"),
    optional("approval_id"),  # no foreign key: the trail outlives rows
    optional("trace_id"),
    required("details_json", sa.JSON),
    indexes=[("at",), ("action", "at"), ("approval_id",)],
)
