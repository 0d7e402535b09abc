"""Enterprise Grid: the organization of each workspace seen, so that work done later for a
workspace (an approved job after a restart) finds its organization's org-wide install.
"""

from __future__ import annotations

from storage.migrations import ops

revision, down_revision = ops.numbered(__file__)

upgrade, downgrade = ops.reversible(
    ops.Table(
        "slack_org_workspaces",
        *ops.strings("team_id", "enterprise_id"),
        ops.at("seen_at"),
        key=("team_id",),
        indexes=[("enterprise_id",)],
    )
)
