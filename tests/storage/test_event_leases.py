"""Deliveries under a lease, on both engines: a live lease keeps other processes off, an
expired one is taken over by exactly one of them, and the holder renews its own."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from agents.kernel.models import Takeover
from storage import Database
from tests.storage.builders import at, inbound

LEASE = timedelta(seconds=60)


async def test_a_delivery_under_a_live_lease_is_not_taken_over(database: Database) -> None:
    events = database.events
    await events.claim(inbound(1), owner="a", lease_until=at(1) + LEASE)
    later = at(1) + timedelta(seconds=30)
    taken = await events.take_unfinished(
        Takeover(owner="b", now=later, lease_until=later + LEASE, claimed_before=later)
    )
    assert taken == []


async def test_an_expired_lease_is_taken_over_by_one_process_only(database: Database) -> None:
    events = database.events
    await events.claim(inbound(1), owner="a", lease_until=at(1) + LEASE)
    await events.claim(inbound(2), owner="a", lease_until=at(2) + LEASE)
    later = at(2) + timedelta(minutes=5)
    first, second = await asyncio.gather(
        *(
            events.take_unfinished(
                Takeover(owner=owner, now=later, lease_until=later + LEASE, claimed_before=later)
            )
            for owner in ("b", "c")
        )
    )
    taken = [i.trace_id for i in first] + [i.trace_id for i in second]
    assert sorted(taken) == ["trace-1", "trace-2"]  # each once, by one of the two
    again = await events.take_unfinished(
        Takeover(owner="d", now=later, lease_until=later + LEASE, claimed_before=later)
    )
    assert again == []  # now under the taker's lease


async def test_the_holder_renews_its_own_leases_and_nobody_elses(database: Database) -> None:
    events = database.events
    await events.claim(inbound(1), owner="a", lease_until=at(1) + LEASE)
    await events.claim(inbound(2), owner="b", lease_until=at(2) + LEASE)
    renewed_until = at(2) + timedelta(minutes=10)
    assert (
        await events.renew(owner="a", trace_ids={"trace-1", "trace-2"}, lease_until=renewed_until)
        == 1
    )
    later = at(2) + timedelta(minutes=5)  # b's lease ran out, a's was renewed
    taken = await events.take_unfinished(
        Takeover(owner="c", now=later, lease_until=later + LEASE, claimed_before=later)
    )
    assert [i.trace_id for i in taken] == ["trace-2"]


async def test_the_only_process_starting_takes_every_unfinished_delivery(
    database: Database,
) -> None:
    events = database.events
    await events.claim(inbound(1), owner="gone", lease_until=at(1) + LEASE)
    await events.claim(inbound(2))  # claimed before leases existed
    now = at(3)
    taken = await events.take_unfinished(
        Takeover(owner="new", now=now, lease_until=now + LEASE, claimed_before=now, held_too=True)
    )
    assert [i.trace_id for i in taken] == ["trace-1", "trace-2"]
