"""What the install events do in a multi-workspace bot (the listeners are in
:mod:`handlers.installs`; docs/distribute.md).

- ``app_uninstalled`` / ``tokens_revoked``: :meth:`Distribution.removed`.
- ``team_access_granted``: the organization's org-wide install now serves the listed
  workspaces; each is recorded as a workspace of the organization, so background work for
  it finds the org-wide token before the workspace has sent a request.
- ``team_access_revoked``: it serves them no longer. For each listed workspace, unless it has
  since been seen in another organization: its record is forgotten (later work for it finds
  no token and fails with :class:`~bot.tenant_tokens.NoToken`), and, when it has no install
  of its own, its requests not yet running end ``cancelled`` (audited with the reason), as
  an org-wide uninstall ends them. A workspace with its own install keeps working.

Both are idempotent: a second delivery records the same pairs, or finds nothing left to
forget or cancel.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import structlog

from agents.actions.runs import Runs
from agents.kernel.tenancy import Tenant
from bot.distribution import Distribution

__all__ = ["InstallEvents"]

REVOKED = "team_access_revoked"
"""The reason a revoked workspace's requests end with (audited, and the log line's name)."""

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class InstallEvents:
    """The install events over the bot's :class:`Distribution` and the worker's runs."""

    distribution: Distribution
    runs: Runs

    async def removed(self, tenant: Tenant, reason: str) -> int:
        """The workspace (organization) removed the app: see :meth:`Distribution.removed`."""
        return await self.distribution.removed(tenant, reason=reason, runs=self.runs)

    async def access_granted(self, enterprise_id: str, team_ids: Sequence[str]) -> None:
        """Record each workspace as one of ``enterprise_id``'s."""
        now = self.runs.clock.now()
        for team_id in team_ids:
            await self.distribution.organizations.seen(team_id, enterprise_id, now=now)
        log.info("team_access_granted", enterprise_id=enterprise_id, team_ids=list(team_ids))

    async def access_revoked(self, enterprise_id: str, team_ids: Sequence[str]) -> int:
        """Forget each workspace's organization and end the requests of those the org-wide
        install served; how many requests ended."""
        withdrawn, left = 0, []
        organizations = self.distribution.organizations
        for team_id in team_ids:
            if await organizations.organization_of(team_id) not in (None, enterprise_id):
                continue  # seen in another organization since: not this install's to end
            await organizations.left(team_id, enterprise_id)
            self.distribution.tokens.left(team_id)
            left.append(team_id)
            own = await self.distribution.store.async_find_bot(
                enterprise_id=enterprise_id, team_id=team_id
            )
            if own is None:
                withdrawn += await self.runs.withdraw_workspace(team_id, reason=REVOKED)
        log.warning(
            REVOKED,
            enterprise_id=enterprise_id,
            team_ids=list(team_ids),
            workspaces_left=len(left),
            requests_cancelled=withdrawn,
        )
        return withdrawn
