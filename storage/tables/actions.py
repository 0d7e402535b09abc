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
from storage.tables.columns import UtcDateTime, metadata, one_of, owned_by, serial_id

__all__ = ["APPROVAL_STATES", "approval_votes", "approvals", "audit_log", "jobs"]

# The approval states of the domain (the migration spells them out, as migrations must).
APPROVAL_STATES: tuple[str, ...] = get_args(ApprovalState)

approvals = Table(
    "approvals",
    metadata,
    Column("id", String, primary_key=True),
    Column("token", String, nullable=False, unique=True),
    Column("action", String, nullable=False),
    Column("params_json", JSON, nullable=False),
    Column("requester", String, nullable=False),
    Column("team_id", String, nullable=False),
    Column("channel_id", String, nullable=False),
    Column("thread_ts", String, nullable=True),
    Column("trace_id", String, nullable=False),
    Column("idempotency_key", String, nullable=False, unique=True),
    Column("quorum", Integer, nullable=False),
    Column("self_approval", Boolean, nullable=False),
    Column("state", String, nullable=False),
    Column("approvals_json", JSON, nullable=False),  # user ids that approved, in order
    Column("decided_by", String, nullable=True),
    Column("reason", Text, nullable=True),
    Column("result", Text, nullable=True),
    Column("message_ts", String, nullable=True),
    Column("version", Integer, nullable=False),
    Column("edits", Integer, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=True),  # None until the first transition
    CheckConstraint(one_of("state", APPROVAL_STATES), name="state"),
    Index("ix_approvals_state_expires_at", "state", "expires_at"),
    Index("ix_approvals_team_id_state", "team_id", "state"),
)

approval_votes = Table(
    "approval_votes",
    metadata,
    serial_id(),
    owned_by("approval_id", String, "approvals.id"),
    Column("voter", String, nullable=False),
    Column("vote", String, nullable=False),
    Column("round", Integer, nullable=False),  # the approval's ``edits`` when the vote was cast
    Column("at", UtcDateTime, nullable=False),
    UniqueConstraint("approval_id", "voter", "round"),
    CheckConstraint("vote IN ('approve', 'reject')", name="vote"),
)

jobs = Table(
    "jobs",
    metadata,
    Column("id", String, primary_key=True),
    owned_by("approval_id", String, "approvals.id", unique=True),
    Column("idempotency_key", String, nullable=False),
    Column("state", String, nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("lease_owner", String, nullable=True),
    Column("lease_expires_at", UtcDateTime, nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("finished_at", UtcDateTime, nullable=True),
    CheckConstraint("state IN ('queued', 'running', 'done')", name="state"),
    Index("ix_jobs_state_created_at", "state", "created_at"),
)

# Append-only: the migration adds triggers that refuse UPDATE and DELETE (not in MetaData).
audit_log = Table(
    "audit_log",
    metadata,
    serial_id(),
    Column("at", UtcDateTime, nullable=False),
    Column("actor", String, nullable=False),
    Column("kind", String, nullable=False),
    Column("action", String, nullable=False),
    Column("approval_id", String, nullable=True),  # no foreign key: the trail outlives rows
    Column("trace_id", String, nullable=True),
    Column("details_json", JSON, nullable=False),
    Index("ix_audit_log_at", "at"),
    Index("ix_audit_log_action_at", "action", "at"),
    Index("ix_audit_log_approval_id", "approval_id"),
)
