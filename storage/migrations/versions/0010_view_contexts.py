"""What each person views in Slack beside the agent (``app_context_changed``)."""

from __future__ import annotations

from storage.migrations import ops

revision, down_revision = ops.numbered(__file__)

upgrade, downgrade = ops.reversible(
    ops.Table(
        "view_contexts",
        *ops.strings("team_id", "user_id"),
        ops.optional("channel_id"),
        ops.at("updated_at"),
        key=("team_id", "user_id"),
    )
)
