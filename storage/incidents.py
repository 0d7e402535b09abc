"""Incidents and their timelines."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, get_args

from sqlalchemy import Row, insert, select, update
from sqlalchemy.engine import Connection

from agents.incidents.records import Incident, IncidentStatus, TimelineEntry, TimelineKind
from agents.kernel.errors import StorageError
from storage._records import from_row, row_values
from storage._seam import SqlStore, fetch_all, narrow, translated
from storage.tables import incident_timeline, incidents

__all__ = ["SqlIncidentStore"]

_STATUSES: tuple[IncidentStatus, ...] = get_args(IncidentStatus)
_KINDS: tuple[TimelineKind, ...] = get_args(TimelineKind)


class SqlIncidentStore(SqlStore):
    """``IncidentStore`` on SQL: ``incidents`` rows and their ``incident_timeline``."""

    async def create(self, incident: Incident) -> None:
        """Store a new incident with its first timeline entries."""
        with translated("create an incident"):
            await self._db.transaction.run(_create, incident)

    async def by_channel(self, *, team_id: str, channel_id: str) -> Incident | None:
        """The incident whose dedicated channel this is, with its timeline."""
        statement = select(incidents).where(
            incidents.c.team_id == team_id, incidents.c.channel_id == channel_id
        )
        with translated("read an incident"):
            async with self._db.read.connect() as connection:
                row = (await connection.execute(statement)).first()
                if row is None:
                    return None
                entries = await connection.execute(_timeline(row.incident_id))
                return _incident(row, [_entry(e) for e in entries])

    async def add_entry(self, incident_id: str, entry: TimelineEntry) -> Incident:
        """Append a timeline entry (and set the status it sets) in one transaction.

        Raises:
            StorageError: no incident has this id.
        """
        with translated("add to an incident's timeline"):
            found = await self._db.transaction.run(_add_entry, incident_id, entry)
        if found is None:
            raise StorageError(f"no incident {incident_id!r}")
        return found

    async def open_incidents(self, *, team_id: str) -> Sequence[Incident]:
        """Incidents not yet resolved, newest first (without timelines)."""
        statement = (
            select(incidents)
            .where(incidents.c.team_id == team_id, incidents.c.status != "resolved")
            .order_by(incidents.c.declared_at.desc(), incidents.c.incident_id)
        )
        rows = await fetch_all(self._db.read, statement, action="list open incidents")
        return [_incident(row, []) for row in rows]


def _create(connection: Connection, incident: Incident) -> None:
    connection.execute(insert(incidents).values(row_values(incident, skip=("timeline",))))
    if incident.timeline:
        connection.execute(
            insert(incident_timeline),
            [_entry_values(incident.incident_id, entry) for entry in incident.timeline],
        )


def _add_entry(connection: Connection, incident_id: str, entry: TimelineEntry) -> Incident | None:
    row = connection.execute(
        select(incidents).where(incidents.c.incident_id == incident_id)
    ).first()
    if row is None:
        return None
    connection.execute(insert(incident_timeline), [_entry_values(incident_id, entry)])
    status = entry.sets_status
    if status is not None:
        changes: dict[str, Any] = {"status": status}
        if status == "resolved":
            changes["resolved_at"] = entry.at
        connection.execute(
            update(incidents).where(incidents.c.incident_id == incident_id).values(**changes)
        )
        row = connection.execute(
            select(incidents).where(incidents.c.incident_id == incident_id)
        ).one()
    entries = connection.execute(_timeline(incident_id))
    return _incident(row, [_entry(e) for e in entries])


def _timeline(incident_id: str) -> Any:
    return (
        select(incident_timeline)
        .where(incident_timeline.c.incident_id == incident_id)
        .order_by(incident_timeline.c.id)
    )


def _entry_values(incident_id: str, entry: TimelineEntry) -> dict[str, Any]:
    return row_values(entry, incident_id=incident_id)


def _entry(row: Row[Any]) -> TimelineEntry:
    kind = narrow(row.kind, _KINDS, column="incident_timeline.kind")
    return from_row(TimelineEntry, row, kind=kind)


def _incident(row: Row[Any], timeline: list[TimelineEntry]) -> Incident:
    status = narrow(row.status, _STATUSES, column="incidents.status")
    return from_row(Incident, row, status=status, timeline=tuple(timeline))
