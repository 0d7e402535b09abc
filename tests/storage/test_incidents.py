"""IncidentStore contract: create, find by channel with the timeline, append, resolve."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from agents.incidents.records import FollowUp, Incident, RoleChange, TimelineEntry
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


async def test_roles_are_compare_and_set_with_their_timeline_entry(database: Database) -> None:
    """A role goes to the first of two claims made from the same holder; the loser changes
    nothing (no entry either); an unknown incident is an error."""
    await database.incidents.create(_incident())
    entry = TimelineEntry(T0, "U2", "role", "<@U2> is incident lead")
    won = await database.incidents.set_role(RoleChange("inc-1", "lead", "U2", entry, holder=None))
    lost = await database.incidents.set_role(
        RoleChange("inc-1", "lead", "U3", replace(entry, user_id="U3"), holder=None)
    )
    assert won is not None and won.lead == "U2" and won.timeline[-1] == entry
    assert lost is None
    stored = await database.incidents.get("inc-1")
    assert stored is not None and stored.lead == "U2" and len(stored.timeline) == 2
    handed = await database.incidents.set_role(
        RoleChange("inc-1", "lead", "U3", entry, holder="U2")
    )
    assert handed is not None and handed.lead == "U3" and handed.comms is None
    with pytest.raises(StorageError):
        await database.incidents.set_role(RoleChange("inc-9", "lead", "U2", entry, holder=None))


async def test_a_pinned_message_is_kept_once(database: Database) -> None:
    """Two ``pinned`` entries for one message: the second is refused, quietly; another
    message, or the same ts in another incident, is kept."""
    await database.incidents.create(_incident(1))
    await database.incidents.create(_incident(2))
    pin = TimelineEntry(T0, "U2", "pinned", "failover", source_ts="1.5", link="https://x/p15")
    assert await database.incidents.add_once("inc-1", pin) is True
    assert await database.incidents.add_once("inc-1", replace(pin, text="again")) is False
    assert await database.incidents.add_once("inc-1", replace(pin, source_ts="1.6")) is True
    assert await database.incidents.add_once("inc-2", pin) is True
    stored = await database.incidents.get("inc-1")
    assert stored is not None
    assert [(e.source_ts, e.text, e.link) for e in stored.timeline if e.kind == "pinned"] == [
        ("1.5", "failover", "https://x/p15"),
        ("1.6", "failover", "https://x/p15"),
    ]


async def test_a_reminder_is_marked_once_and_never_on_a_resolved_incident(
    database: Database,
) -> None:
    """``mark_reminded`` sets the time only from the value the caller saw; a resolved
    incident is never marked; the card ts is remembered."""
    await database.incidents.create(_incident())
    await database.incidents.set_card("inc-1", "9.1")
    first = T0 + timedelta(minutes=30)
    assert await database.incidents.mark_reminded("inc-1", previous=None, at=first) is True
    assert await database.incidents.mark_reminded("inc-1", previous=None, at=first) is False
    later = first + timedelta(minutes=30)
    assert await database.incidents.mark_reminded("inc-1", previous=first, at=later) is True
    stored = await database.incidents.get("inc-1")
    assert stored is not None and stored.reminded_at == later and stored.card_ts == "9.1"
    await database.incidents.add_entry("inc-1", TimelineEntry(later, "U1", "resolved", "done"))
    end = later + timedelta(hours=1)
    assert await database.incidents.mark_reminded("inc-1", previous=later, at=end) is False


async def test_follow_ups_are_listed_and_their_ticket_recorded_once(database: Database) -> None:
    """Follow-ups come back with the incident in order; a ticket is recorded once; every
    team's open incidents are listed without a team."""
    await database.incidents.create(_incident(1))
    await database.incidents.create(_incident(2, team_id="T2"))
    for n, text in enumerate(("add an alert", "write a runbook")):
        await database.incidents.add_followup(
            FollowUp(f"fu-{n}", "inc-1", T0 + timedelta(minutes=n), "U1", text)
        )
    assert await database.incidents.set_issue("fu-0", number=7, url="https://gh/7") is True
    assert await database.incidents.set_issue("fu-0", number=8, url="https://gh/8") is False
    stored = await database.incidents.get("inc-1")
    assert stored is not None
    assert [(f.text, f.issue_number) for f in stored.followups] == [
        ("add an alert", 7),
        ("write a runbook", None),
    ]
    everywhere = await database.incidents.open_incidents()
    assert {i.incident_id for i in everywhere} == {"inc-1", "inc-2"}
    assert await database.incidents.get("inc-9") is None
