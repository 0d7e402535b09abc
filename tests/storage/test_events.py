"""EventStore contract: claims, attempts, finishing and crash recovery."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from storage import Database
from storage.tables import events
from tests.storage.builders import at, inbound
from tests.storage.conftest import Place


async def test_first_claim_wins_and_repeats_are_duplicates(database: Database) -> None:
    """The first claim of an event id returns True, every later one False."""
    assert await database.events.claim(inbound(1)) is True
    assert await database.events.claim(inbound(1)) is False
    assert await database.events.claim(inbound(1, trace_id="another")) is False


async def test_event_ids_are_scoped_per_team(database: Database) -> None:
    """The same event id in another team is a different delivery."""
    assert await database.events.claim(inbound(1)) is True
    assert await database.events.claim(inbound(1, team_id="T2")) is True


async def test_concurrent_claims_of_one_event_have_one_winner(database: Database) -> None:
    """Ten concurrent claims of one event id: exactly one returns True."""
    results = await asyncio.gather(*(database.events.claim(inbound(7)) for _ in range(10)))
    assert sorted(results) == [False] * 9 + [True]


async def test_claims_through_two_engines_have_one_winner(place: Place) -> None:
    """Two processes (separate engines and pools) racing to claim one event: one wins."""
    first = await place.open()
    await first.migrate()
    second = await place.open()
    results = await asyncio.gather(
        *(handle.events.claim(inbound(7)) for handle in (first, second) for _ in range(5))
    )
    assert sorted(results) == [False] * 9 + [True]


async def test_unfinished_returns_claimed_deliveries_oldest_first(database: Database) -> None:
    """Unfinished lists still-claimed deliveries received before the cutoff, oldest first."""
    for n in (3, 1, 2, 9):
        await database.events.claim(inbound(n))
    found = await database.events.unfinished(claimed_before=at(5), limit=10)
    assert found == [inbound(1), inbound(2), inbound(3)]
    assert await database.events.unfinished(claimed_before=at(5), limit=2) == [
        inbound(1),
        inbound(2),
    ]


async def test_unfinished_rebuilds_the_inbound_exactly(database: Database) -> None:
    """A recovered delivery equals the claimed Inbound, including empty ts and no thread."""
    command = inbound(1, source="command", event_id="cmd:trig", ts="", thread_ts=None)
    await database.events.claim(command)
    assert await database.events.unfinished(claimed_before=at(2), limit=5) == [command]


async def test_finished_deliveries_are_not_unfinished(database: Database) -> None:
    """Deliveries finished as done or failed no longer show up for recovery."""
    for n in (1, 2, 3):
        await database.events.claim(inbound(n))
    await database.events.finish(team_id="T1", event_id="Ev1", status="done", now=at(10))
    await database.events.finish(team_id="T1", event_id="Ev2", status="failed", now=at(10))
    assert await database.events.unfinished(claimed_before=at(10), limit=10) == [inbound(3)]


async def test_finish_of_an_unknown_delivery_is_harmless(database: Database) -> None:
    """Finishing a delivery that was never claimed changes nothing and raises nothing."""
    await database.events.finish(team_id="T1", event_id="nope", status="done", now=at(1))
    assert await database.events.claim(inbound(1)) is True


async def test_count_attempt_increments_and_returns_the_count(database: Database) -> None:
    """Each counted attempt adds one to the claim's own: the first call returns 2."""
    await database.events.claim(inbound(1))
    counts = [await database.events.count_attempt(team_id="T1", event_id="Ev1") for _ in "abc"]
    assert counts == [2, 3, 4]


async def test_concurrent_attempts_are_all_counted(database: Database) -> None:
    """Concurrent increments lose no update: ten attempts after the claim's end at eleven."""
    await database.events.claim(inbound(1))
    counts = await asyncio.gather(
        *(database.events.count_attempt(team_id="T1", event_id="Ev1") for _ in range(10))
    )
    assert sorted(counts) == list(range(2, 12))


async def _stored(database: Database) -> dict[str, tuple[str, str]]:
    """Each stored delivery's ``(status, text)`` by event id."""
    statement = select(events.c.event_id, events.c.status, events.c.text)
    async with database.engine.connect() as connection:
        return {e: (status, text) for e, status, text in await connection.execute(statement)}


async def test_finishing_a_delivery_blanks_its_text(database: Database) -> None:
    """The text is kept only while the delivery may be replayed: a finished one (done or
    failed) holds nobody's words; one still claimed keeps them."""
    for n in (1, 2, 3):
        await database.events.claim(inbound(n))
    await database.events.finish(team_id="T1", event_id="Ev1", status="done", now=at(10))
    await database.events.finish(team_id="T1", event_id="Ev2", status="failed", now=at(10))
    assert await _stored(database) == {
        "Ev1": ("done", ""),
        "Ev2": ("failed", ""),
        "Ev3": ("claimed", "message 3"),
    }


async def test_purge_deletes_finished_deliveries_received_before_the_cutoff(
    database: Database,
) -> None:
    """Retention: finished deliveries received before the cutoff go; a newer one stays, and
    one still claimed stays however old (it is still owed an answer)."""
    for n in (1, 2, 3, 50):
        await database.events.claim(inbound(n))
    for event_id in ("Ev1", "Ev2", "Ev50"):
        await database.events.finish(team_id="T1", event_id=event_id, status="done", now=at(60))
    assert await database.events.purge(before=at(10)) == 2
    assert sorted(await _stored(database)) == ["Ev3", "Ev50"]
    assert await database.events.purge(before=at(10)) == 0
