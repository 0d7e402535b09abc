"""Thread memory: pinned facts and the stored rolling summary, one row per thread."""

from __future__ import annotations

import sqlalchemy as sa

from storage.migrations import ops

revision, down_revision = ops.numbered(__file__)

upgrade, downgrade = ops.reversible(
    ops.Table(
        "thread_memory",
        *ops.strings("team_id", "channel_id", "thread_ts"),
        ops.column("facts", sa.JSON()),
        ops.column("summary", sa.Text()),
        ops.column("covered", sa.Integer()),
        ops.at("updated_at"),
        key=("team_id", "channel_id", "thread_ts"),
    )
)
