"""Approvals: approvals, approval_votes, jobs, and the append-only audit_log.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24

Written by hand to match ``storage/tables.py`` at this revision. The audit trail is made
append-only by triggers that refuse UPDATE and DELETE (and TRUNCATE on PostgreSQL); triggers
are not part of the MetaData, so the schema comparison test does not see them. A later
batch-mode change of ``audit_log`` on SQLite recreates the table and must recreate them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
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


def _timestamp(name: str, *, nullable: bool = False) -> sa.Column[datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    """Create the approval tables and the append-only audit log."""
    op.create_table(
        "approvals",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("token", sa.String(), nullable=False),
        sa.Column("action", sa.String(), nullable=False),
        sa.Column("params_json", sa.JSON(), nullable=False),
        sa.Column("requester", sa.String(), nullable=False),
        sa.Column("team_id", sa.String(), nullable=False),
        sa.Column("channel_id", sa.String(), nullable=False),
        sa.Column("thread_ts", sa.String(), nullable=True),
        sa.Column("trace_id", sa.String(), nullable=False),
        sa.Column("idempotency_key", sa.String(), nullable=False),
        sa.Column("quorum", sa.Integer(), nullable=False),
        sa.Column("self_approval", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("approvals_json", sa.JSON(), nullable=False),
        sa.Column("decided_by", sa.String(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("result", sa.Text(), nullable=True),
        sa.Column("message_ts", sa.String(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("edits", sa.Integer(), nullable=False),
        _timestamp("created_at"),
        _timestamp("expires_at"),
        _timestamp("updated_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_approvals"),
        sa.UniqueConstraint("token", name="uq_approvals_token"),
        sa.UniqueConstraint("idempotency_key", name="uq_approvals_idempotency_key"),
        sa.CheckConstraint(_STATES, name="ck_approvals_state"),
    )
    op.create_index("ix_approvals_state_expires_at", "approvals", ["state", "expires_at"])
    op.create_index("ix_approvals_team_id_state", "approvals", ["team_id", "state"])

    op.create_table(
        "approval_votes",
        sa.Column("id", _ID, nullable=False),
        sa.Column("approval_id", sa.String(), nullable=False),
        sa.Column("voter", sa.String(), nullable=False),
        sa.Column("vote", sa.String(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        _timestamp("at"),
        sa.PrimaryKeyConstraint("id", name="pk_approval_votes"),
        sa.ForeignKeyConstraint(
            ["approval_id"],
            ["approvals.id"],
            name="fk_approval_votes_approval_id_approvals",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint(
            "approval_id", "voter", "round", name="uq_approval_votes_approval_id_voter_round"
        ),
        sa.CheckConstraint("vote IN ('approve', 'reject')", name="ck_approval_votes_vote"),
    )

    op.create_table(
        "jobs",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("approval_id", sa.String(), nullable=False),
        sa.Column("idempotency_key", sa.String(), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("lease_owner", sa.String(), nullable=True),
        _timestamp("lease_expires_at", nullable=True),
        _timestamp("created_at"),
        _timestamp("finished_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_jobs"),
        sa.ForeignKeyConstraint(
            ["approval_id"],
            ["approvals.id"],
            name="fk_jobs_approval_id_approvals",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("approval_id", name="uq_jobs_approval_id"),
        sa.CheckConstraint("state IN ('queued', 'running', 'done')", name="ck_jobs_state"),
    )
    op.create_index("ix_jobs_state_created_at", "jobs", ["state", "created_at"])

    op.create_table(
        "audit_log",
        sa.Column("id", _ID, nullable=False),
        _timestamp("at"),
        sa.Column("actor", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("action", sa.String(), nullable=False),
        sa.Column("approval_id", sa.String(), nullable=True),
        sa.Column("trace_id", sa.String(), nullable=True),
        sa.Column("details_json", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_log"),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    op.create_index("ix_audit_log_action_at", "audit_log", ["action", "at"])
    op.create_index("ix_audit_log_approval_id", "audit_log", ["approval_id"])
    postgresql = op.get_context().dialect.name == "postgresql"
    for statement in _PG_TRIGGERS if postgresql else _SQLITE_TRIGGERS:
        op.execute(statement)


def downgrade() -> None:
    """Drop the audit log (its triggers first), jobs, votes and approvals."""
    postgresql = op.get_context().dialect.name == "postgresql"
    for statement in _PG_DROP_TRIGGERS if postgresql else _SQLITE_DROP_TRIGGERS:
        op.execute(statement)
    op.drop_index("ix_audit_log_approval_id", table_name="audit_log")
    op.drop_index("ix_audit_log_action_at", table_name="audit_log")
    op.drop_index("ix_audit_log_at", table_name="audit_log")
    op.drop_table("audit_log")
    op.drop_index("ix_jobs_state_created_at", table_name="jobs")
    op.drop_table("jobs")
    op.drop_table("approval_votes")
    op.drop_index("ix_approvals_team_id_state", table_name="approvals")
    op.drop_index("ix_approvals_state_expires_at", table_name="approvals")
    op.drop_table("approvals")
