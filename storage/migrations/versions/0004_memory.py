"""Memory: long-term notes; indexes for erasing messages by Slack ts and purging by age.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa

from storage.migrations import ops

revision: str = "0004"
down_revision: str | None = "0003"

_SCOPES = "scope IN ('team', 'channel', 'user', 'agent')"

upgrade, downgrade = ops.reversible(
    ops.Table(
        "notes",
        *ops.strings("note_id", "team_id", "scope", "scope_id"),
        ops.column("text", sa.Text()),
        ops.column("author"),
        ops.at("created_at"),
        *ops.strings("source_channel", "source_ts"),
        sa.CheckConstraint(_SCOPES, name="ck_notes_scope"),
        key=("note_id",),
        indexes=[
            ("team_id", "scope", "scope_id"),
            ("team_id", "source_channel", "source_ts"),
            ("created_at",),
        ],
    ),
    ops.Index("messages", "ts"),
    ops.Index("messages", "created_at"),
)
