"""Stopping turns: who stopped a turn (on its trace), and stop requests for every replica."""

from __future__ import annotations

from storage.migrations import ops

revision, down_revision = ops.numbered(__file__)

upgrade, downgrade = ops.reversible(
    ops.AddColumns("traces", ops.optional("stopped_by")),
    ops.Table(
        "turn_stops",
        ops.serial_id(),
        *ops.strings("team_id", "channel_id", "thread_ts", "user_id"),
        ops.at("requested_at"),
        indexes=[("requested_at",)],
    ),
)
