"""Baseline: events, conversations, messages, traces.

Revision ID: 0001
Revises:
Create Date: 2026-11-23

Written by hand to match ``storage/tables.py`` at this revision; later revisions change the
schema, never this file.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _timestamp(name: str, *, nullable: bool = False) -> sa.Column[datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    """Create the baseline tables."""
    op.create_table(
        "events",
        sa.Column("id", _ID, nullable=False),
        sa.Column("team_id", sa.String(), nullable=False),
        sa.Column("event_id", sa.String(), nullable=False),
        sa.Column("trace_id", sa.String(), nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("channel_id", sa.String(), nullable=False),
        sa.Column("user_id", sa.String(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("ts", sa.String(), nullable=False),
        sa.Column("thread_ts", sa.String(), nullable=True),
        _timestamp("received_at"),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        _timestamp("finished_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_events"),
        sa.UniqueConstraint("team_id", "event_id", name="uq_events_team_id_event_id"),
        sa.CheckConstraint("status IN ('claimed', 'done', 'failed')", name="ck_events_status"),
    )
    op.create_index("ix_events_status_received_at", "events", ["status", "received_at"])

    op.create_table(
        "conversations",
        sa.Column("id", _ID, nullable=False),
        sa.Column("team_id", sa.String(), nullable=False),
        sa.Column("channel_id", sa.String(), nullable=False),
        sa.Column("thread_ts", sa.String(), nullable=False),
        _timestamp("created_at"),
        _timestamp("updated_at"),
        sa.PrimaryKeyConstraint("id", name="pk_conversations"),
        sa.UniqueConstraint(
            "team_id",
            "channel_id",
            "thread_ts",
            name="uq_conversations_team_id_channel_id_thread_ts",
        ),
    )

    op.create_table(
        "messages",
        sa.Column("id", _ID, nullable=False),
        sa.Column("conversation_id", _ID, nullable=False),
        sa.Column("direction", sa.String(), nullable=False),
        sa.Column("user_id", sa.String(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("trace_id", sa.String(), nullable=False),
        sa.Column("agent", sa.String(), nullable=True),
        sa.Column("reply_json", sa.JSON(), nullable=True),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("ts", sa.String(), nullable=True),
        _timestamp("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_messages"),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name="fk_messages_conversation_id_conversations",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("trace_id", "direction", name="uq_messages_trace_id_direction"),
        sa.CheckConstraint("direction IN ('in', 'out')", name="ck_messages_direction"),
        sa.CheckConstraint("status IN ('received', 'pending', 'sent')", name="ck_messages_status"),
    )
    op.create_index("ix_messages_conversation_id_id", "messages", ["conversation_id", "id"])

    op.create_table(
        "traces",
        sa.Column("trace_id", sa.String(), nullable=False),
        sa.Column("team_id", sa.String(), nullable=False),
        sa.Column("channel_id", sa.String(), nullable=False),
        sa.Column("user_id", sa.String(), nullable=False),
        sa.Column("event_id", sa.String(), nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("agent", sa.String(), nullable=False),
        sa.Column("route_reason", sa.String(), nullable=False),
        sa.Column("route_score", sa.Float(), nullable=False),
        sa.Column("outcome", sa.String(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        _timestamp("started_at"),
        sa.Column("route_ms", sa.Float(), nullable=False),
        sa.Column("agent_ms", sa.Float(), nullable=False),
        sa.Column("total_ms", sa.Float(), nullable=False),
        _timestamp("delivered_at", nullable=True),
        sa.PrimaryKeyConstraint("trace_id", name="pk_traces"),
    )


def downgrade() -> None:
    """Drop the baseline tables."""
    op.drop_table("traces")
    op.drop_index("ix_messages_conversation_id_id", table_name="messages")
    op.drop_table("messages")
    op.drop_table("conversations")
    op.drop_index("ix_events_status_received_at", table_name="events")
    op.drop_table("events")
