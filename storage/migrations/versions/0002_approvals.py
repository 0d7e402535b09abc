"""Approvals: approvals, approval_votes, jobs, and the append-only audit_log.

Written by hand to match ``storage/tables.py`` at this revision. The audit trail is made
append-only by triggers that refuse UPDATE and DELETE (and TRUNCATE on PostgreSQL); triggers
are not part of the MetaData, so the schema comparison test does not see them. A later
batch-mode change of ``audit_log`` on SQLite recreates the table and must recreate them.
"""

from __future__ import annotations

import sqlalchemy as sa

from storage.migrations import ops

revision, down_revision = ops.numbered(__file__)

_STATES = (
    "state IN ('pending', 'approved', 'executing', 'succeeded', 'failed', 'unknown', "
    "'rejected', 'expired', 'cancelled')"
)
_REFUSAL = "audit_log is append-only"

_PG_TRIGGERS = (
    f"""
    CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION '{_REFUSAL}';
    END
    $$
    """,
    """
    CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()
    """,
    """
    CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()
    """,
)
_PG_DROP_TRIGGERS = (
    "DROP TRIGGER audit_log_no_truncate ON audit_log",
    "DROP TRIGGER audit_log_no_change ON audit_log",
    "DROP FUNCTION audit_log_append_only()",
)
_SQLITE_TRIGGERS = tuple(
    f"""
    CREATE TRIGGER audit_log_no_{verb.lower()} BEFORE {verb} ON audit_log
    BEGIN
        SELECT RAISE(ABORT, '{_REFUSAL}');
    END
    """
    for verb in ("UPDATE", "DELETE")
)
_SQLITE_DROP_TRIGGERS = (
    "DROP TRIGGER audit_log_no_delete",
    "DROP TRIGGER audit_log_no_update",
)
upgrade, downgrade = ops.reversible(
    ops.Table(
        "approvals",
        *ops.strings("id", "token", "action"),
        ops.column("params_json", sa.JSON()),
        *ops.strings("requester", "team_id", "channel_id"),
        ops.optional("thread_ts"),
        *ops.strings("trace_id", "idempotency_key"),
        ops.column("quorum", sa.Integer()),
        ops.column("self_approval", sa.Boolean()),
        ops.column("state"),
        ops.column("approvals_json", sa.JSON()),
        ops.optional("decided_by"),
        ops.optional("reason", sa.Text()),
        ops.optional("result", sa.Text()),
        ops.optional("message_ts"),
        ops.column("version", sa.Integer()),
        ops.column("edits", sa.Integer()),
        ops.at("created_at"),
        ops.at("expires_at"),
        ops.at("updated_at", nullable=True),
        ops.unique("approvals", "token"),
        ops.unique("approvals", "idempotency_key"),
        sa.CheckConstraint(_STATES, name="ck_approvals_state"),
        indexes=[("state", "expires_at"), ("team_id", "state")],
    ),
    ops.Table(
        "approval_votes",
        ops.serial_id(),
        *ops.strings("approval_id", "voter", "vote"),
        ops.column("round", sa.Integer()),
        ops.at("at"),
        ops.cascade("approval_votes", "approval_id", "approvals.id"),
        ops.unique("approval_votes", "approval_id", "voter", "round"),
        ops.check("approval_votes", "vote", "approve", "reject"),
    ),
    ops.Table(
        "jobs",
        *ops.strings("id", "approval_id", "idempotency_key", "state"),
        ops.column("attempts", sa.Integer(), server_default="0"),
        ops.optional("lease_owner"),
        ops.at("lease_expires_at", nullable=True),
        ops.at("created_at"),
        ops.at("finished_at", nullable=True),
        ops.cascade("jobs", "approval_id", "approvals.id"),
        ops.unique("jobs", "approval_id"),
        ops.check("jobs", "state", "queued", "running", "done"),
        indexes=[("state", "created_at")],
    ),
    ops.Table(
        "audit_log",
        ops.serial_id(),
        ops.at("at"),
        *ops.strings("actor", "kind", "action"),
        *ops.strings("approval_id", "trace_id", nullable=True),
        ops.column("details_json", sa.JSON()),
        indexes=[("at",), ("action", "at"), ("approval_id",)],
    ),
    ops.Sql(
        postgresql=_PG_TRIGGERS,
        sqlite=_SQLITE_TRIGGERS,
        undo_postgresql=_PG_DROP_TRIGGERS,
        undo_sqlite=_SQLITE_DROP_TRIGGERS,
    ),
)
