"""Memory: long-term notes; indexes for erasing messages by Slack ts and purging by age."""

from __future__ import annotations

import sqlalchemy as sa

from storage.migrations import ops

revision, down_revision = ops.numbered(__file__)

upgrade, downgrade = ops.reversible(
    ops.Table(
        "notes",
        *ops.strings("note_id", "team_id", "scope", "scope_id"),
        ops.column("text", sa.Text()),
        ops.column("author"),
        ops.at("created_at"),
        *ops.strings("source_channel", "source_ts"),
        ops.check("notes", "scope", "team", "channel", "user", "agent"),
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
