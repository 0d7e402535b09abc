"""Incidents the way teams run them: roles, the summary card, reminders, pinned messages on
the timeline, and follow-ups.

``incidents`` gains ``lead``, ``comms``, ``oncall``, ``card_ts`` and ``reminded_at``;
``incident_timeline`` gains ``source_ts`` (unique per incident: a pinned message is on the
timeline once) and ``link``, and its ``kind`` may also be ``role`` or ``pinned``; follow-ups
live in ``incident_followups``. Every new column is nullable: incidents stored before this
revision load unchanged.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD_KINDS = "kind IN ('declared', 'status', 'note', 'resolved')"
_KINDS = "kind IN ('declared', 'status', 'note', 'resolved', 'role', 'pinned')"


def upgrade() -> None:
    """Add the columns, widen the timeline's kinds and create ``incident_followups``."""
    with op.batch_alter_table("incidents") as batch:
        for name in ("lead", "comms", "oncall", "card_ts"):
            batch.add_column(sa.Column(name, sa.String(), nullable=True))
        batch.add_column(sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("incident_timeline") as batch:
        batch.add_column(sa.Column("source_ts", sa.String(), nullable=True))
        batch.add_column(sa.Column("link", sa.Text(), nullable=True))
        batch.drop_constraint("ck_incident_timeline_kind", type_="check")
        batch.create_check_constraint(op.f("ck_incident_timeline_kind"), _KINDS)
        batch.create_unique_constraint(
            "uq_incident_timeline_incident_id_source_ts", ["incident_id", "source_ts"]
        )
    op.create_table(
        "incident_followups",
        sa.Column("followup_id", sa.String(), nullable=False),
        sa.Column("incident_id", sa.String(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.String(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("issue_number", sa.Integer(), nullable=True),
        sa.Column("issue_url", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("followup_id", name="pk_incident_followups"),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.incident_id"],
            name="fk_incident_followups_incident_id_incidents",
            ondelete="CASCADE",
        ),
    )
    op.create_index(
        "ix_incident_followups_incident_id_at", "incident_followups", ["incident_id", "at"]
    )


def downgrade() -> None:
    """Drop what upgrade created (timeline entries of the new kinds go with it)."""
    op.drop_index("ix_incident_followups_incident_id_at", table_name="incident_followups")
    op.drop_table("incident_followups")
    op.execute("DELETE FROM incident_timeline WHERE kind IN ('role', 'pinned')")
    with op.batch_alter_table("incident_timeline") as batch:
        batch.drop_constraint("uq_incident_timeline_incident_id_source_ts", type_="unique")
        batch.drop_constraint("ck_incident_timeline_kind", type_="check")
        batch.create_check_constraint(op.f("ck_incident_timeline_kind"), _OLD_KINDS)
        batch.drop_column("link")
        batch.drop_column("source_ts")
    with op.batch_alter_table("incidents") as batch:
        for name in ("reminded_at", "card_ts", "oncall", "comms", "lead"):
            batch.drop_column(name)
