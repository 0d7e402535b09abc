"""Deliveries claimed for processing: the dedupe record and what crash recovery replays.

A delivery's text is kept only while it may be replayed: finishing it blanks the text (the
conversation store keeps the message under its own retention, erasure included), so the
dedupe record left behind holds no one's words.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any, get_args

import structlog
from sqlalchemy import Row, bindparam, delete, or_, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from agents.kernel.errors import StorageError
from agents.kernel.models import EventStatus, Inbound, Source, Takeover
from storage._records import from_row, row_values
from storage._seam import (
    PerDialect,
    SqlStore,
    count_changed,
    fetch_all,
    fetch_first,
    insert,
    narrow,
    translated,
)
from storage.batching import GroupCommit
from storage.claims_pg import claim_together
from storage.engine import Prepared
from storage.tables import events

__all__ = ["SqlEventStore", "finish_event_on"]

log = structlog.get_logger(__name__)

_SOURCES: tuple[Source, ...] = get_args(Source)

# Writes are built once: SQLAlchemy then skips rebuilding them and their cache keys. The
# values come as execute() parameters (an INSERT's or UPDATE's columns are their keys).
_CLAIM = PerDialect(
    lambda dialect: Prepared(
        insert(dialect, events)
        .on_conflict_do_nothing(index_elements=[events.c.team_id, events.c.event_id])
        .returning(events.c.id)
    )
)
_ONE = (events.c.team_id == bindparam("w_team_id"), events.c.event_id == bindparam("w_event_id"))
_FINISH = Prepared(update(events).where(*_ONE))
_COUNT_ATTEMPT = Prepared(
    update(events).where(*_ONE).values(attempts=events.c.attempts + 1).returning(events.c.attempts)
)


class SqlEventStore(SqlStore):
    """``EventStore`` on SQL: one row per delivery, unique per ``(team_id, event_id)``.

    Claims that arrive while one is being written go together in the next write
    (:class:`~storage.batching.GroupCommit`): one transaction on SQLite, one statement on
    PostgreSQL (:mod:`storage.claims_pg`).
    """

    def __init__(self, engine: AsyncEngine) -> None:
        super().__init__(engine)
        self._claims = GroupCommit(self._claim_all, self._claim_one)

    async def claim(
        self, inbound: Inbound, *, owner: str | None = None, lease_until: datetime | None = None
    ) -> bool:
        """Insert the delivery unless it exists; True if this call inserted it.

        One ``INSERT … ON CONFLICT DO NOTHING``: the unique constraint decides between racing
        claimers, so exactly one of them wins. The row starts at one attempt: the claimer's,
        under the claimer's lease (``owner`` until ``lease_until``) when given.
        """
        values = row_values(inbound, status="claimed", attempts=1)
        if owner is not None:  # (a database before 0012 has no lease columns)
            values.update(lease_owner=owner, lease_expires_at=lease_until)
        with translated("claim a delivery"):
            return await self._claims.submit(values)

    async def _claim_one(self, values: dict[str, Any]) -> bool:
        rows = await self._db.write.execute(_CLAIM[self._db.dialect], values)
        return rows.first() is not None

    async def _claim_all(self, batch: Sequence[dict[str, Any]]) -> list[bool]:
        if len(batch) == 1:  # most claims: the plain INSERT, its plan cached
            return [await self._claim_one(batch[0])]
        if self._db.dialect == "postgresql":
            return await claim_together(self._db.write, batch)
        return await self._db.write.run(_claim_each, _CLAIM[self._db.dialect], batch)

    async def finish(
        self, *, team_id: str, event_id: str, status: EventStatus, now: datetime
    ) -> None:
        """Set the delivery's final status and when it was reached."""
        with translated("finish a delivery"):
            await self._db.write.run(
                finish_event_on, team_id=team_id, event_id=event_id, status=status, now=now
            )

    async def unfinished(self, *, claimed_before: datetime, limit: int) -> Sequence[Inbound]:
        """Still-claimed deliveries received before ``claimed_before``, oldest first."""
        statement = (
            select(events)
            .where(events.c.status == "claimed", events.c.received_at < claimed_before)
            .order_by(events.c.received_at, events.c.id)
            .limit(max(limit, 0))
        )
        rows = await fetch_all(self._db.read, statement, action="list unfinished deliveries")
        return [_inbound(row) for row in rows]

    async def take_unfinished(self, takeover: Takeover) -> Sequence[Inbound]:
        """Take over still-claimed deliveries received before ``claimed_before`` whose lease
        ran out (and, with ``held_too``, those still held: the only process, starting, knows
        their holder is gone): each is leased to ``owner`` until ``lease_until`` by one
        conditional UPDATE, so of two processes racing for one, exactly one gets it. Oldest
        first."""
        lease = events.c.lease_expires_at
        expired = or_(lease.is_(None), lease < takeover.now)
        still = [events.c.status == "claimed", events.c.received_at < takeover.claimed_before]
        if not takeover.held_too:
            still.append(expired)
        statement = (
            select(events)
            .where(*still)
            .order_by(events.c.received_at, events.c.id)
            .limit(max(takeover.limit, 0))
        )
        rows = await fetch_all(self._db.read, statement, action="list unfinished deliveries")
        taken = []
        for row in rows:
            take = (
                update(events)
                .where(events.c.id == row.id, *still)
                .values(lease_owner=takeover.owner, lease_expires_at=takeover.lease_until)
            )
            if await count_changed(self._db.write, take, action="take over a delivery"):
                taken.append(_inbound(row))
        return taken

    async def renew(self, *, owner: str, trace_ids: Collection[str], lease_until: datetime) -> int:
        """Extend ``owner``'s leases on the deliveries ``trace_ids`` (those still claimed) to
        ``lease_until``; how many were extended."""
        if not trace_ids:
            return 0
        statement = (
            update(events)
            .where(
                events.c.status == "claimed",
                events.c.lease_owner == owner,
                events.c.trace_id.in_(sorted(trace_ids)),
            )
            .values(lease_expires_at=lease_until)
        )
        return await count_changed(self._db.write, statement, action="renew delivery leases")

    async def purge(self, *, before: datetime) -> int:
        """Delete finished deliveries received before ``before`` (retention); one still
        claimed is kept, however old."""
        statement = delete(events).where(
            events.c.status.in_(("done", "failed")), events.c.received_at < before
        )
        return await count_changed(self._db.write, statement, action="purge deliveries")

    async def note_reply(self, *, team_id: str, event_id: str, ts: str) -> None:
        """Remember the message the delivery's reply is being written into (a stream)."""
        values = {"w_team_id": team_id, "w_event_id": event_id, "reply_ts": ts}
        with translated("note a reply's message"):
            await self._db.write.run(_note_reply, values)

    async def reply_ts(self, *, team_id: str, event_id: str) -> str | None:
        """The message the delivery's reply was being written into, if one was noted."""
        statement = select(events.c.reply_ts).where(
            events.c.team_id == team_id, events.c.event_id == event_id
        )
        row = await fetch_first(self._db.read, statement, action="read a reply's message")
        return None if row is None or row.reply_ts is None else str(row.reply_ts)

    async def count_attempt(self, *, team_id: str, event_id: str) -> int:
        """Add one to the delivery's attempts, atomically, and return the new count.

        The claim counted the first attempt, so the first call returns 2.

        Raises:
            StorageError: no such delivery was claimed.
        """
        values = {"w_team_id": team_id, "w_event_id": event_id}
        with translated("count a delivery attempt"):
            attempts = await self._db.write.run(_count_attempt, values)
        if attempts is None:
            raise StorageError(f"no claimed delivery {event_id!r} in team {team_id!r}")
        return attempts


def finish_event_on(
    connection: Connection,
    *,
    team_id: str,
    event_id: str,
    status: EventStatus,
    now: datetime,
) -> None:
    """Set a delivery's final status and when it was reached, in the caller's transaction;
    its text, needed only to replay it, is blanked, and its lease (nobody works on it now)."""
    values = {"w_team_id": team_id, "w_event_id": event_id, "status": status, "finished_at": now}
    values.update(text="", lease_owner=None, lease_expires_at=None)
    if not _FINISH.execute(connection, values).rowcount:
        log.warning("delivery_not_found", team_id=team_id, event_id=event_id, status=status)


def _claim(connection: Connection, statement: Prepared, values: dict[str, Any]) -> bool:
    return statement.execute(connection, values).first() is not None


def _claim_each(
    connection: Connection, statement: Prepared, batch: Sequence[dict[str, Any]]
) -> list[bool]:
    # One by one: a delivery twice in the batch is inserted once, the second finds it.
    return [_claim(connection, statement, values) for values in batch]


def _note_reply(connection: Connection, values: dict[str, Any]) -> None:
    _FINISH.execute(connection, values)


def _count_attempt(connection: Connection, values: dict[str, Any]) -> int | None:
    attempts: int | None = _COUNT_ATTEMPT.execute(connection, values).scalar_one_or_none()
    return attempts


def _inbound(row: Row[*tuple[Any, ...]]) -> Inbound:
    return from_row(Inbound, row, source=narrow(row.source, _SOURCES, column="events.source"))
