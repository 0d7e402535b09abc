"""Stopping turns: who stopped a turn (on its trace), and stop requests for every replica.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""

from __future__ import annotations

from storage.migrations import ops

revision: str = "0009"
down_revision: str | None = "0008"

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
