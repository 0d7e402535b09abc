"""Agents and planners: turn planning on traces, LLM usage, rate buckets, incidents.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24

Written by hand to match ``storage/tables.py`` at this revision.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_STATUSES = "status IN ('investigating', 'identified', 'monitoring', 'resolved')"
_KINDS = "kind IN ('declared', 'status', 'note', 'resolved')"


def _at(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    """Add the planning columns to traces and create the new tables."""
    for column in (
        sa.Column("planner", sa.String(), nullable=False, server_default="none"),
        sa.Column("provider", sa.String(), nullable=True),
        sa.Column("input_tokens", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("output_tokens", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("cost_micros", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("degraded", sa.String(), nullable=True),
        sa.Column("tool_calls", sa.JSON(), nullable=False, server_default="[]"),
    ):
        op.add_column("traces", column)
    op.create_table(
        "llm_usage",
        sa.Column("id", _ID, nullable=False),
        sa.Column("trace_id", sa.String(), nullable=False),
        sa.Column("team_id", sa.String(), nullable=False),
        sa.Column("channel_id", sa.String(), nullable=False),
        sa.Column("user_id", sa.String(), nullable=False),
        sa.Column("agent", sa.String(), nullable=False),
        sa.Column("provider", sa.String(), nullable=False),
        sa.Column("model", sa.String(), nullable=False),
        sa.Column("input_tokens", sa.Integer(), nullable=False),
        sa.Column("output_tokens", sa.Integer(), nullable=False),
        sa.Column("cost_micros", sa.BigInteger(), nullable=False),
        _at("at"),
        sa.PrimaryKeyConstraint("id", name="pk_llm_usage"),
    )
    op.create_index("ix_llm_usage_team_id_at", "llm_usage", ["team_id", "at"])
    for scope in ("agent", "user_id", "channel_id"):
        op.create_index(f"ix_llm_usage_team_id_{scope}_at", "llm_usage", ["team_id", scope, "at"])
    op.create_table(
        "rate_buckets",
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("tokens", sa.Float(), nullable=False),
        _at("updated_at"),
        sa.PrimaryKeyConstraint("key", name="pk_rate_buckets"),
    )
    op.create_table(
        "incidents",
        sa.Column("incident_id", sa.String(), nullable=False),
        sa.Column("team_id", sa.String(), nullable=False),
        sa.Column("channel_id", sa.String(), nullable=False),
        sa.Column("channel_name", sa.String(), nullable=False),
        sa.Column("origin_channel_id", sa.String(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("severity", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("reporter", sa.String(), nullable=False),
        _at("declared_at"),
        _at("resolved_at", nullable=True),
        sa.PrimaryKeyConstraint("incident_id", name="pk_incidents"),
        sa.UniqueConstraint("team_id", "channel_id", name="uq_incidents_team_id_channel_id"),
        sa.CheckConstraint(_STATUSES, name="ck_incidents_status"),
    )
    op.create_index("ix_incidents_team_id_status", "incidents", ["team_id", "status"])
    op.create_table(
        "incident_timeline",
        sa.Column("id", _ID, nullable=False),
        sa.Column("incident_id", sa.String(), nullable=False),
        _at("at"),
        sa.Column("user_id", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_incident_timeline"),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.incident_id"],
            name="fk_incident_timeline_incident_id_incidents",
            ondelete="CASCADE",
        ),
        sa.CheckConstraint(_KINDS, name="ck_incident_timeline_kind"),
    )
    op.create_index(
        "ix_incident_timeline_incident_id_id", "incident_timeline", ["incident_id", "id"]
    )


def downgrade() -> None:
    """Drop what upgrade created."""
    op.drop_table("incident_timeline")
    op.drop_table("incidents")
    op.drop_table("rate_buckets")
    op.drop_table("llm_usage")
    with op.batch_alter_table("traces") as batch:
        for name in (
            "tool_calls",
            "degraded",
            "cost_micros",
            "output_tokens",
            "input_tokens",
            "provider",
            "planner",
        ):
            batch.drop_column(name)
