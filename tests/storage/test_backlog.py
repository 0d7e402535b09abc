"""The backlog the scrape-time gauges read: deliveries still claimed (and the oldest one's
arrival) and approvals still pending, across every workspace, on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace

from storage import Database
from storage.backlog import Backlog, read_backlog
from tests.storage.builders import approval, at, entry, inbound


async def test_an_empty_database_has_no_backlog(database: Database) -> None:
    """Nothing claimed, nothing pending: zeros and no oldest delivery."""
    assert await read_backlog(database.engine) == Backlog(0, None, 0)


async def test_claimed_deliveries_and_pending_approvals_are_counted(database: Database) -> None:
    """Finished deliveries and decided approvals are not backlog; the oldest claimed one's
    arrival is kept, whatever the team."""
    for n in (4, 2, 9):
        await database.events.claim(inbound(n))
    await database.events.claim(inbound(1, team_id="T2"))
    await database.events.finish(team_id="T2", event_id="Ev1", status="done", now=at(10))
    await database.events.finish(team_id="T1", event_id="Ev9", status="failed", now=at(10))
    for n in (1, 2, 3):
        value = approval(n, team_id=f"T{n}")
        await database.approvals.create(value, audit=entry("requested", value))
    decided = replace(approval(4), state="rejected")
    await database.approvals.create(decided, audit=entry("requested", decided))
    backlog = await read_backlog(database.engine)
    assert (backlog.events, backlog.oldest_event_at, backlog.approvals_pending) == (2, at(2), 3)
    assert backlog.oldest_age(at(62)) == 60
    assert Backlog(0, None, 0).oldest_age(at(62)) == 0
