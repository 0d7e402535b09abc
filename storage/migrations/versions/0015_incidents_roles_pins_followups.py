"""Incidents the way teams run them: roles, the summary card, reminders, pinned messages on
the timeline, and follow-ups.

``incidents`` gains ``lead``, ``comms``, ``oncall``, ``card_ts`` and ``reminded_at``;
``incident_timeline`` gains ``source_ts`` (unique per incident: a pinned message is on the
timeline once) and ``link``, and its ``kind`` may also be ``role`` or ``pinned``; follow-ups
live in ``incident_followups``. Every new column is nullable: incidents stored before this
revision load unchanged.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from alembic.operations import BatchOperations

from storage.migrations import ops

revision, down_revision = ops.numbered(__file__)

_OLD_KINDS = ("declared", "status", "note", "resolved")
_KINDS = (*_OLD_KINDS, "role", "pinned")
_KIND_CHECK = "ck_incident_timeline_kind"
_KIND_CHECK_0003 = "ck_incident_timeline_ck_incident_timeline_kind"
"""The name 0003 gave the check: the naming convention prefixed the name it was given again."""

_ROLES = ops.AddColumns(
    "incidents",
    *ops.strings("lead", "comms", "oncall", "card_ts", nullable=True),
    ops.at("reminded_at", nullable=True),
)
_FOLLOWUPS = ops.Table(
    "incident_followups",
    *ops.strings("followup_id", "incident_id"),
    ops.at("at"),
    ops.column("user_id"),
    ops.column("text", sa.Text()),
    ops.optional("issue_number", sa.Integer()),
    ops.optional("issue_url", sa.Text()),
    ops.cascade("incident_followups", "incident_id", "incidents.incident_id"),
    key=("followup_id",),
    indexes=[("incident_id", "at")],
)


def _replace_kind_check(batch: BatchOperations, old: str, new: str, kinds: tuple[str, ...]) -> None:
    """Replace the timeline's kind check ``old`` by ``new`` allowing ``kinds``. The names are
    final (``op.f``): the naming convention would prefix them once more."""
    batch.drop_constraint(op.f(old), type_="check")
    batch.create_check_constraint(op.f(new), ops.one_of("kind", *kinds))


def upgrade() -> None:
    """Add the columns, widen the timeline's kinds and create ``incident_followups``."""
    _ROLES.apply()
    with op.batch_alter_table("incident_timeline") as batch:
        batch.add_column(ops.optional("source_ts"))
        batch.add_column(ops.optional("link", sa.Text()))
        _replace_kind_check(batch, _KIND_CHECK_0003, _KIND_CHECK, _KINDS)
        batch.create_unique_constraint(
            "uq_incident_timeline_incident_id_source_ts", ["incident_id", "source_ts"]
        )
    _FOLLOWUPS.apply()


def downgrade() -> None:
    """Drop what upgrade created (timeline entries of the new kinds go with it)."""
    _FOLLOWUPS.revert()
    op.execute("DELETE FROM incident_timeline WHERE kind IN ('role', 'pinned')")
    with op.batch_alter_table("incident_timeline") as batch:
        batch.drop_constraint("uq_incident_timeline_incident_id_source_ts", type_="unique")
        _replace_kind_check(batch, _KIND_CHECK, _KIND_CHECK_0003, _OLD_KINDS)
        batch.drop_column("link")
        batch.drop_column("source_ts")
    _ROLES.revert()
