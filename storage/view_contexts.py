"""What each person views in Slack beside the agent: one row per person, the latest kept."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from storage._seam import SqlStore, execute, fetch_first, insert
from storage.tables import view_contexts

__all__ = ["SqlViewContexts"]


class SqlViewContexts(SqlStore):
    """``ViewContexts`` on SQL."""

    async def record(
        self, *, team_id: str, user_id: str, channel_id: str | None, at: datetime
    ) -> None:
        """Keep ``channel_id`` as what the person views now (an older report never wins)."""
        statement = insert(self._db.dialect, view_contexts).values(
            team_id=team_id, user_id=user_id, channel_id=channel_id, updated_at=at
        )
        excluded = statement.excluded
        upsert = statement.on_conflict_do_update(
            index_elements=[view_contexts.c.team_id, view_contexts.c.user_id],
            set_={"channel_id": excluded.channel_id, "updated_at": excluded.updated_at},
            where=view_contexts.c.updated_at <= excluded.updated_at,
        )
        await execute(self._db.write, upsert, action="record what a person views")

    async def viewing(self, *, team_id: str, user_id: str) -> str | None:
        """The channel the person views now, if Slack said."""
        statement = select(view_contexts.c.channel_id).where(
            view_contexts.c.team_id == team_id, view_contexts.c.user_id == user_id
        )
        row = await fetch_first(self._db.read, statement, action="read what a person views")
        return None if row is None or row.channel_id is None else str(row.channel_id)
