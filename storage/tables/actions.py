"""Actions' tables: approvals and their votes, the jobs they become, the audit trail."""

from __future__ import annotations

from typing import get_args

import sqlalchemy as sa

from agents.actions.approval import ApprovalState
from storage.tables.columns import (
    UtcDateTime,
    metadata,
    one_of,
    optional,
    owned_by,
    required,
    serial_id,
)

__all__ = ["APPROVAL_STATES", "approval_votes", "approvals", "audit_log", "jobs"]

# The approval states of the domain (the migration spells them out, as migrations must).
APPROVAL_STATES: tuple[str, ...] = get_args(ApprovalState)

approvals = sa.Table(
    "approvals",
    metadata,
    sa.Column("id", sa.String, primary_key=True),
    required("token", unique=True),
    required("action"),
    required("params_json", sa.JSON),
    required("requester"),
    required("team_id"),
    required("channel_id"),
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
    sa.CheckConstraint(one_of("state", APPROVAL_STATES), name="state"),
    sa.Index("ix_approvals_state_expires_at", "state", "expires_at"),
    sa.Index("ix_approvals_team_id_state", "team_id", "state"),
    sa.Index("ix_approvals_channel_id_message_ts", "channel_id", "message_ts"),
)

approval_votes = sa.Table(
    "approval_votes",
    metadata,
    serial_id(),
    owned_by("approval_id", sa.String, "approvals.id"),
    required("voter"),
    required("vote"),
    required("round", sa.Integer),  # the approval's ``edits`` when the vote was cast
    required("at", UtcDateTime),
    sa.UniqueConstraint("approval_id", "voter", "round"),
    sa.CheckConstraint("vote IN ('approve', 'reject')", name="vote"),
)

jobs = sa.Table(
    "jobs",
    metadata,
    sa.Column("id", sa.String, primary_key=True),
    owned_by("approval_id", sa.String, "approvals.id", unique=True),
    required("idempotency_key"),
    required("state"),
    required("attempts", sa.Integer, server_default="0"),
    optional("lease_owner"),
    optional("lease_expires_at", UtcDateTime),
    required("created_at", UtcDateTime),
    optional("finished_at", UtcDateTime),
    sa.CheckConstraint("state IN ('queued', 'running', 'done')", name="state"),
    sa.Index("ix_jobs_state_created_at", "state", "created_at"),
)

# Append-only: the migration adds triggers that refuse UPDATE and DELETE (not in MetaData).
audit_log = sa.Table(
    "audit_log",
    metadata,
    serial_id(),
    required("at", UtcDateTime),
    required("actor"),
    required("kind"),
    required("action"),
    optional("approval_id"),  # no foreign key: the trail outlives rows
    optional("trace_id"),
    required("details_json", sa.JSON),
    sa.Index("ix_audit_log_at", "at"),
    sa.Index("ix_audit_log_action_at", "action", "at"),
    sa.Index("ix_audit_log_approval_id", "approval_id"),
)
