"""Deliveries claimed for processing: the dedupe record and what crash recovery replays."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, get_args

import structlog
from sqlalchemy import Row, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from agents.core.errors import StorageError
from agents.core.models import EventStatus, Inbound, Source
from storage._seam import insert, narrow, translated
from storage.engine import views
from storage.tables import events

__all__ = ["SqlEventStore", "finish_event_on"]

log = structlog.get_logger(__name__)

_SOURCES: tuple[Source, ...] = get_args(Source)


class SqlEventStore:
    """``EventStore`` on SQL: one row per delivery, unique per ``(team_id, event_id)``."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._db = views(engine)

    async def claim(self, inbound: Inbound) -> bool:
        """Insert the delivery unless it exists; True if this call inserted it.

        One ``INSERT … ON CONFLICT DO NOTHING``: the unique constraint decides between racing
        claimers, so exactly one of them wins. The row starts at one attempt: the claimer's.
        """
        statement = (
            insert(self._db.dialect, events)
            .values(
                team_id=inbound.team_id,
                event_id=inbound.event_id,
                trace_id=inbound.trace_id,
                source=inbound.source,
                channel_id=inbound.channel_id,
                user_id=inbound.user_id,
                text=inbound.text,
                ts=inbound.ts,
                thread_ts=inbound.thread_ts,
                received_at=inbound.received_at,
                status="claimed",
                attempts=1,
            )
            .on_conflict_do_nothing(index_elements=[events.c.team_id, events.c.event_id])
            .returning(events.c.id)
        )
        with translated("claim a delivery"):
            async with self._db.write.begin() as connection:
                return (await connection.execute(statement)).first() is not None

    async def finish(
        self, *, team_id: str, event_id: str, status: EventStatus, now: datetime
    ) -> None:
        """Set the delivery's final status and when it was reached."""
        with translated("finish a delivery"):
            async with self._db.write.begin() as connection:
                await finish_event_on(
                    connection, team_id=team_id, event_id=event_id, status=status, now=now
                )

    async def unfinished(self, *, claimed_before: datetime, limit: int) -> Sequence[Inbound]:
        """Still-claimed deliveries received before ``claimed_before``, oldest first."""
        statement = (
            select(events)
            .where(events.c.status == "claimed", events.c.received_at < claimed_before)
            .order_by(events.c.received_at, events.c.id)
            .limit(max(limit, 0))
        )
        with translated("list unfinished deliveries"):
            async with self._db.read.connect() as connection:
                rows = (await connection.execute(statement)).all()
        return [_inbound(row) for row in rows]

    async def count_attempt(self, *, team_id: str, event_id: str) -> int:
        """Add one to the delivery's attempts, atomically, and return the new count.

        The claim counted the first attempt, so the first call returns 2.

        Raises:
            StorageError: no such delivery was claimed.
        """
        statement = (
            update(events)
            .where(events.c.team_id == team_id, events.c.event_id == event_id)
            .values(attempts=events.c.attempts + 1)
            .returning(events.c.attempts)
        )
        with translated("count a delivery attempt"):
            async with self._db.write.begin() as connection:
                attempts: int | None = (await connection.execute(statement)).scalar_one_or_none()
        if attempts is None:
            raise StorageError(f"no claimed delivery {event_id!r} in team {team_id!r}")
        return attempts


async def finish_event_on(
    connection: AsyncConnection,
    *,
    team_id: str,
    event_id: str,
    status: EventStatus,
    now: datetime,
) -> None:
    """Set a delivery's final status and when it was reached, in the caller's transaction."""
    statement = (
        update(events)
        .where(events.c.team_id == team_id, events.c.event_id == event_id)
        .values(status=status, finished_at=now)
    )
    if not (await connection.execute(statement)).rowcount:
        log.warning("delivery_not_found", team_id=team_id, event_id=event_id, status=status)


def _inbound(row: Row[*tuple[Any, ...]]) -> Inbound:
    return Inbound(
        team_id=row.team_id,
        channel_id=row.channel_id,
        user_id=row.user_id,
        text=row.text,
        source=narrow(row.source, _SOURCES, column="events.source"),
        event_id=row.event_id,
        trace_id=row.trace_id,
        received_at=row.received_at,
        ts=row.ts,
        thread_ts=row.thread_ts,
    )
