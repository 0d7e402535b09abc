"""Stop requests (Slack's Stop button), shared by every replica that runs turns."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select

from agents.kernel.models import ConversationKey
from agents.turns.stopping import StopRequest
from storage._seam import SqlStore, fetch_all, fetch_scalar, translated
from storage.tables import turn_stops

__all__ = ["KEEP", "SqlStopRequests"]

KEEP = timedelta(hours=1)
"""How long a stop request is kept: far longer than any turn runs."""


class SqlStopRequests(SqlStore):
    """``StopRequests`` on SQL: one row per press, numbered as stored."""

    async def request(self, key: ConversationKey, *, user_id: str, now: datetime) -> None:
        """Store the request; drop those older than :data:`KEEP`, in the same transaction."""
        with translated("store a stop request"):
            async with self._db.write.begin() as connection:
                await connection.execute(
                    delete(turn_stops).where(turn_stops.c.requested_at < now - KEEP)
                )
                await connection.execute(
                    turn_stops.insert().values(
                        team_id=key.team_id,
                        channel_id=key.channel_id,
                        thread_ts=key.thread_ts,
                        user_id=user_id,
                        requested_at=now,
                    )
                )

    async def after(self, seq: int, *, limit: int = 100) -> Sequence[StopRequest]:
        """The requests stored after ``seq``, oldest first."""
        statement = (
            select(turn_stops).where(turn_stops.c.id > seq).order_by(turn_stops.c.id).limit(limit)
        )
        rows = await fetch_all(self._db.read, statement, action="read stop requests")
        return [
            StopRequest(
                seq=int(row.id),
                key=ConversationKey(row.team_id, row.channel_id, row.thread_ts),
                user_id=row.user_id,
            )
            for row in rows
        ]

    async def last_seq(self) -> int:
        """The newest request's number, 0 if there is none."""
        statement = select(func.coalesce(func.max(turn_stops.c.id), 0))
        return int(await fetch_scalar(self._db.read, statement, action="read stop requests"))
