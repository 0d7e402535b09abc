"""The organization of each Enterprise Grid workspace Slack has sent a request from.

An org-wide install is stored for its organization (no workspace), and Slack names the
organization of every request it sends (``enterprise_id`` in the payload and its
``authorizations``). Work done later knows only the workspace of its record (an approval, an
incident), so the pairs are recorded here as requests arrive: after a restart, or on another
replica, that work still finds its organization's install. No token is kept here.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select

from storage._seam import SqlStore, count_changed, execute, fetch_all, fetch_first, insert
from storage.tables import slack_org_workspaces

__all__ = ["SqlOrgWorkspaces"]


class SqlOrgWorkspaces(SqlStore):
    """Workspace -> organization, as Slack's requests said (the newest word wins)."""

    async def seen(self, team_id: str, enterprise_id: str, *, now: datetime) -> None:
        """A request of workspace ``team_id`` came from organization ``enterprise_id``."""
        table = slack_org_workspaces
        statement = (
            insert(self._db.dialect, table)
            .values(team_id=team_id, enterprise_id=enterprise_id, seen_at=now)
            .on_conflict_do_update(
                index_elements=["team_id"],
                set_={"enterprise_id": enterprise_id, "seen_at": now},
            )
        )
        await execute(self._db.write, statement, action="record a workspace's organization")

    async def left(self, team_id: str, enterprise_id: str) -> bool:
        """Workspace ``team_id`` is no longer served by ``enterprise_id``'s org-wide install
        (Slack's ``team_access_revoked``): forget the pair, unless the workspace has since
        been seen in another organization. False if there was nothing to forget."""
        table = slack_org_workspaces.c
        statement = delete(slack_org_workspaces).where(
            table.team_id == team_id, table.enterprise_id == enterprise_id
        )
        forgotten = await count_changed(
            self._db.write, statement, action="forget a workspace's organization"
        )
        return forgotten > 0

    async def organization_of(self, team_id: str) -> str | None:
        """The organization ``team_id`` was last seen in (None: never seen in one)."""
        table = slack_org_workspaces.c
        statement = select(table.enterprise_id).where(table.team_id == team_id)
        row = await fetch_first(self._db.read, statement, action="find a workspace's organization")
        return None if row is None else str(row[0])

    async def workspaces_of(self, enterprise_id: str) -> list[str]:
        """Every workspace seen in ``enterprise_id``."""
        table = slack_org_workspaces.c
        statement = (
            select(table.team_id)
            .where(table.enterprise_id == enterprise_id)
            .order_by(table.team_id)
        )
        rows = await fetch_all(self._db.read, statement, action="list an organization's workspaces")
        return [str(row[0]) for row in rows]
