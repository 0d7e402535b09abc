"""What each person views in Slack beside the agent (``app_context_changed``).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""

from __future__ import annotations

from storage.migrations import ops

revision: str = "0010"
down_revision: str | None = "0009"

upgrade, downgrade = ops.reversible(
    ops.Table(
        "view_contexts",
        *ops.strings("team_id", "user_id"),
        ops.optional("channel_id"),
        ops.at("updated_at"),
        key=("team_id", "user_id"),
    )
)
