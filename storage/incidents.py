"""Incidents, their timelines and follow-ups."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, get_args

from sqlalchemy import Row, insert, select, update
from sqlalchemy.engine import Connection

from agents.incidents.records import (
    FollowUp,
    Incident,
    IncidentStatus,
    RoleChange,
    TimelineEntry,
    TimelineKind,
)
from agents.kernel.errors import StorageError
from storage._records import from_row, row_values
from storage._seam import SqlStore, count_changed, execute, fetch_all, narrow, translated
from storage._seam import insert as upsert
from storage.tables import incident_followups, incident_timeline, incidents

__all__ = ["SqlIncidentStore"]

_STATUSES: tuple[IncidentStatus, ...] = get_args(IncidentStatus)
_KINDS: tuple[TimelineKind, ...] = get_args(TimelineKind)


class SqlIncidentStore(SqlStore):
    """``IncidentStore`` on SQL: ``incidents`` rows, their ``incident_timeline`` and
    ``incident_followups``."""

    async def create(self, incident: Incident) -> None:
        """Store a new incident with its first timeline entries."""
        with translated("create an incident"):
            await self._db.transaction.run(_create, incident)

    async def get(self, incident_id: str) -> Incident | None:
        """The incident with this id, with its timeline and follow-ups."""
        return await self._one(select(incidents).where(incidents.c.incident_id == incident_id))

    async def by_channel(self, *, team_id: str, channel_id: str) -> Incident | None:
        """The incident whose dedicated channel this is, with its timeline and follow-ups."""
        statement = select(incidents).where(
            incidents.c.team_id == team_id, incidents.c.channel_id == channel_id
        )
        return await self._one(statement)

    async def _one(self, statement: Any) -> Incident | None:
        with translated("read an incident"):
            async with self._db.read.connect() as connection:
                row = (await connection.execute(statement)).first()
                if row is None:
                    return None
                entries = await connection.execute(_timeline(row.incident_id))
                followups = await connection.execute(_followups(row.incident_id))
                return _incident(row, [_entry(e) for e in entries], list(followups))

    async def add_entry(self, incident_id: str, entry: TimelineEntry) -> Incident:
        """Append a timeline entry (and set the status it sets) in one transaction.

        Raises:
            StorageError: no incident has this id.
        """
        return await self._change(incident_id, entry, {}, action="add to an incident's timeline")

    async def set_role(self, change: RoleChange) -> Incident | None:
        """Give the role to ``change.user_id`` if ``change.holder`` still holds it
        (compare-and-set: of two clicks at once, one wins), and add ``change.entry`` saying
        so, in one transaction; None if the role changed hands meanwhile.

        Raises:
            StorageError: no incident has this id.
        """
        with translated("set a role"):
            found = await self._db.transaction.run(_set_role, change)
        if found is None:
            raise StorageError(f"no incident {change.incident_id!r}")
        return found if isinstance(found, Incident) else None

    async def set_card(self, incident_id: str, card_ts: str) -> None:
        """Remember the summary card's message ts."""
        statement = (
            update(incidents).where(incidents.c.incident_id == incident_id).values(card_ts=card_ts)
        )
        await execute(self._db.write, statement, action="remember an incident's card")

    async def add_once(self, incident_id: str, entry: TimelineEntry) -> bool:
        """Add an entry unless one with its ``source_ts`` (a pinned message, a PagerDuty
        event) is on the timeline already; True if it was added."""
        statement = (
            upsert(self._db.dialect, incident_timeline)
            .values(_entry_values(incident_id, entry))
            .on_conflict_do_nothing(index_elements=["incident_id", "source_ts"])
        )
        return bool(
            await count_changed(self._db.write, statement, action="pin to an incident's timeline")
        )

    async def open_incidents(self, *, team_id: str | None = None) -> Sequence[Incident]:
        """Incidents not yet resolved (in ``team_id``; every team's when None), newest
        first, without timelines."""
        where = [incidents.c.status != "resolved"]
        if team_id is not None:
            where.append(incidents.c.team_id == team_id)
        statement = (
            select(incidents)
            .where(*where)
            .order_by(incidents.c.declared_at.desc(), incidents.c.incident_id)
        )
        rows = await fetch_all(self._db.read, statement, action="list open incidents")
        return [_incident(row, [], []) for row in rows]

    async def mark_reminded(
        self, incident_id: str, *, previous: datetime | None, at: datetime
    ) -> bool:
        """Set ``reminded_at`` to ``at`` if it still is ``previous`` (compare-and-set: of
        two replicas sweeping at once, one reminds); True if this call set it."""
        column = incidents.c.reminded_at
        statement = (
            update(incidents)
            .where(
                incidents.c.incident_id == incident_id,
                incidents.c.status != "resolved",
                column.is_(None) if previous is None else column == previous,
            )
            .values(reminded_at=at)
        )
        changed = await count_changed(self._db.write, statement, action="mark a reminder")
        return changed == 1

    async def add_followup(self, followup: FollowUp) -> None:
        """Store a follow-up."""
        statement = insert(incident_followups).values(row_values(followup))
        await execute(self._db.write, statement, action="add a follow-up")

    async def set_issue(self, followup_id: str, *, number: int, url: str) -> bool:
        """Record the ticket created for a follow-up, unless one is recorded already;
        True if this call recorded it."""
        statement = (
            update(incident_followups)
            .where(
                incident_followups.c.followup_id == followup_id,
                incident_followups.c.issue_number.is_(None),
            )
            .values(issue_number=number, issue_url=url)
        )
        changed = await count_changed(self._db.write, statement, action="record a ticket")
        return changed == 1

    async def _change(
        self, incident_id: str, entry: TimelineEntry, changes: dict[str, Any], *, action: str
    ) -> Incident:
        with translated(action):
            found = await self._db.transaction.run(_add_entry, incident_id, entry, changes)
        if found is None:
            raise StorageError(f"no incident {incident_id!r}")
        return found


def _create(connection: Connection, incident: Incident) -> None:
    connection.execute(
        insert(incidents).values(row_values(incident, skip=("timeline", "followups")))
    )
    if incident.timeline:
        connection.execute(
            insert(incident_timeline),
            [_entry_values(incident.incident_id, entry) for entry in incident.timeline],
        )


def _set_role(connection: Connection, change: RoleChange) -> Incident | bool | None:
    """The incident after, False if ``holder`` no longer held the role, None if unknown."""
    incident_id, holder = change.incident_id, change.holder
    column = incidents.c[change.role]
    claimed = connection.execute(
        update(incidents)
        .where(
            incidents.c.incident_id == incident_id,
            column.is_(None) if holder is None else column == holder,
        )
        .values({change.role: change.user_id})
    )
    if claimed.rowcount == 1:
        return _add_entry(connection, incident_id, change.entry, {})
    exists = connection.execute(
        select(incidents.c.incident_id).where(incidents.c.incident_id == incident_id)
    )
    return False if exists.first() is not None else None


def _add_entry(
    connection: Connection, incident_id: str, entry: TimelineEntry, changes: dict[str, Any]
) -> Incident | None:
    by_id = select(incidents).where(incidents.c.incident_id == incident_id)
    if connection.execute(by_id).first() is None:
        return None
    connection.execute(insert(incident_timeline), [_entry_values(incident_id, entry)])
    status = entry.sets_status
    if status is not None:
        changes = {**changes, "status": status}
        if status == "resolved":
            changes["resolved_at"] = entry.at
    if changes:
        connection.execute(
            update(incidents).where(incidents.c.incident_id == incident_id).values(**changes)
        )
    row = connection.execute(by_id).one()
    entries = connection.execute(_timeline(incident_id))
    followups = list(connection.execute(_followups(incident_id)))
    return _incident(row, [_entry(e) for e in entries], followups)


def _timeline(incident_id: str) -> Any:
    return (
        select(incident_timeline)
        .where(incident_timeline.c.incident_id == incident_id)
        .order_by(incident_timeline.c.id)
    )


def _followups(incident_id: str) -> Any:
    return (
        select(incident_followups)
        .where(incident_followups.c.incident_id == incident_id)
        .order_by(incident_followups.c.at, incident_followups.c.followup_id)
    )


def _entry_values(incident_id: str, entry: TimelineEntry) -> dict[str, Any]:
    return row_values(entry, incident_id=incident_id)


def _entry(row: Row[Any]) -> TimelineEntry:
    kind = narrow(row.kind, _KINDS, column="incident_timeline.kind")
    return from_row(TimelineEntry, row, kind=kind)


def _incident(row: Row[Any], timeline: list[TimelineEntry], followups: list[Row[Any]]) -> Incident:
    status = narrow(row.status, _STATUSES, column="incidents.status")
    return from_row(
        Incident,
        row,
        status=status,
        timeline=tuple(timeline),
        followups=tuple(from_row(FollowUp, f) for f in followups),
    )
