"""IncidentStore contract: create, find by channel with the timeline, append, resolve."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from agents.incidents.records import Incident, TimelineEntry
from agents.kernel.errors import StorageError
from storage import Database
from tests.storage.builders import T0


def _incident(n: int = 1, **changes: object) -> Incident:
    value = Incident(
        incident_id=f"inc-{n}",
        team_id="T1",
        channel_id=f"CINC{n}",
        channel_name=f"inc-20261123-db-down-{n}",
        origin_channel_id="C1",
        title="Database down",
        severity="sev1",
        status="investigating",
        reporter="U1",
        declared_at=T0 + timedelta(minutes=n),
        timeline=(TimelineEntry(T0, "U1", "declared", "Declared: Database down"),),
    )
    return replace(value, **changes)  # type: ignore[arg-type]


async def test_created_incident_is_found_by_its_channel(database: Database) -> None:
    """The incident comes back whole, timeline included; another channel finds nothing."""
    await database.incidents.create(_incident())
    assert await database.incidents.by_channel(team_id="T1", channel_id="CINC1") == _incident()
    assert await database.incidents.by_channel(team_id="T1", channel_id="C1") is None
    assert await database.incidents.by_channel(team_id="T2", channel_id="CINC1") is None


async def test_entries_append_in_order_and_status_changes(database: Database) -> None:
    """Notes keep their order; a status change is stored with its entry."""
    await database.incidents.create(_incident())
    note = TimelineEntry(T0 + timedelta(minutes=5), "U2", "note", "replica lag 30s")
    await database.incidents.add_entry("inc-1", note)
    change = TimelineEntry(T0 + timedelta(minutes=9), "U1", "status", "identified")
    after = await database.incidents.add_entry("inc-1", change)
    assert after.status == "identified" and after.resolved_at is None
    assert [e.text for e in after.timeline] == [
        "Declared: Database down",
        "replica lag 30s",
        "identified",
    ]
    assert after == await database.incidents.by_channel(team_id="T1", channel_id="CINC1")


async def test_resolving_stamps_the_time_and_closes_it(database: Database) -> None:
    """``resolved`` records the entry's time; the incident leaves the open list."""
    await database.incidents.create(_incident(1))
    await database.incidents.create(_incident(2))
    done = TimelineEntry(T0 + timedelta(hours=1), "U1", "resolved", "fixed")
    resolved = await database.incidents.add_entry("inc-1", done)
    assert resolved.resolved_at == T0 + timedelta(hours=1)
    still_open = await database.incidents.open_incidents(team_id="T1")
    assert [i.incident_id for i in still_open] == ["inc-2"]
    assert still_open[0].timeline == ()


async def test_open_incidents_are_newest_first(database: Database) -> None:
    """The most recently declared comes first."""
    for n in (1, 3, 2):
        await database.incidents.create(_incident(n))
    found = await database.incidents.open_incidents(team_id="T1")
    assert [i.incident_id for i in found] == ["inc-3", "inc-2", "inc-1"]


async def test_unknown_incident_is_a_storage_error(database: Database) -> None:
    """Appending to an incident that does not exist fails loudly."""
    with pytest.raises(StorageError, match="inc-9"):
        await database.incidents.add_entry("inc-9", TimelineEntry(T0, "U1", "note", "x"))


async def test_one_incident_per_channel(database: Database) -> None:
    """A second incident in the same channel is refused."""
    await database.incidents.create(_incident(1))
    with pytest.raises(StorageError):
        await database.incidents.create(_incident(2, channel_id="CINC1"))
