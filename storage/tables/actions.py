"""Actions' tables: approvals and their votes, the jobs they become, the audit trail."""

from __future__ import annotations

from typing import get_args

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

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

approvals = Table(
    "approvals",
    metadata,
    Column("id", String, primary_key=True),
    required("token", unique=True),
    required("action"),
    required("params_json", JSON),
    required("requester"),
    required("team_id"),
    required("channel_id"),
    optional("thread_ts"),
    required("trace_id"),
    required("idempotency_key", unique=True),
    required("quorum", Integer),
    required("self_approval", Boolean),
    required("state"),
    required("approvals_json", JSON),  # user ids that approved, in order
    optional("decided_by"),
    optional("reason", Text),
    optional("result", Text),
    optional("message_ts"),
    required("version", Integer),
    required("edits", Integer),
    required("created_at", UtcDateTime),
    required("expires_at", UtcDateTime),
    optional("updated_at", UtcDateTime),  # None until the first transition
    CheckConstraint(one_of("state", APPROVAL_STATES), name="state"),
    Index("ix_approvals_state_expires_at", "state", "expires_at"),
    Index("ix_approvals_team_id_state", "team_id", "state"),
)

approval_votes = Table(
    "approval_votes",
    metadata,
    serial_id(),
    owned_by("approval_id", String, "approvals.id"),
    required("voter"),
    required("vote"),
    required("round", Integer),  # the approval's ``edits`` when the vote was cast
    required("at", UtcDateTime),
    UniqueConstraint("approval_id", "voter", "round"),
    CheckConstraint("vote IN ('approve', 'reject')", name="vote"),
)

jobs = Table(
    "jobs",
    metadata,
    Column("id", String, primary_key=True),
    owned_by("approval_id", String, "approvals.id", unique=True),
    required("idempotency_key"),
    required("state"),
    required("attempts", Integer, server_default="0"),
    optional("lease_owner"),
    optional("lease_expires_at", UtcDateTime),
    required("created_at", UtcDateTime),
    optional("finished_at", UtcDateTime),
    CheckConstraint("state IN ('queued', 'running', 'done')", name="state"),
    Index("ix_jobs_state_created_at", "state", "created_at"),
)

# Append-only: the migration adds triggers that refuse UPDATE and DELETE (not in MetaData).
audit_log = Table(
    "audit_log",
    metadata,
    serial_id(),
    required("at", UtcDateTime),
    required("actor"),
    required("kind"),
    required("action"),
    optional("approval_id"),  # no foreign key: the trail outlives rows
    optional("trace_id"),
    required("details_json", JSON),
    Index("ix_audit_log_at", "at"),
    Index("ix_audit_log_action_at", "action", "at"),
    Index("ix_audit_log_approval_id", "approval_id"),
)
