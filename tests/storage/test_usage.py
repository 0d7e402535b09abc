"""UsageStore and RateLimiter contract: spend sums per scope and day, atomic token buckets."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta

from agents.llm.usage import SpendQuery, UsageRecord
from storage import Database
from tests.storage.builders import T0
from tests.storage.conftest import Place

CALL = UsageRecord(
    trace_id="trace-1",
    team_id="T1",
    channel_id="C1",
    user_id="U1",
    agent="deploy",
    provider="primary",
    model="m1",
    input_tokens=100,
    output_tokens=20,
    cost_micros=140,
    at=T0,
)


async def test_spent_sums_each_scope_since_the_bound(database: Database) -> None:
    """Sums narrow by agent, user and channel; calls before ``since`` and other teams don't
    count."""
    await database.usage.record(CALL)
    await database.usage.record(replace(CALL, agent="incident", cost_micros=1000))
    await database.usage.record(replace(CALL, user_id="U2", channel_id="C2", cost_micros=7))
    await database.usage.record(replace(CALL, at=T0 - timedelta(days=1), cost_micros=50_000))
    await database.usage.record(replace(CALL, team_id="T2", cost_micros=90_000))

    async def spent(**query: object) -> int:
        return await database.usage.spent(SpendQuery(**query))  # type: ignore[arg-type]

    assert await spent(team_id="T1", since=T0) == 1147
    assert await spent(team_id="T1", since=T0, agent="deploy") == 147
    assert await spent(team_id="T1", since=T0, user_id="U1") == 1140
    assert await spent(team_id="T1", since=T0, channel_id="C2") == 7
    assert await spent(team_id="T1", since=T0 - timedelta(days=2)) == 51_147
    assert await spent(team_id="T3", since=T0) == 0


async def test_bucket_allows_its_capacity_then_refuses(database: Database) -> None:
    """A new bucket is full: three takes pass, the fourth is refused."""
    take = database.rate_limits.take
    results = [await take("u1", capacity=3, refill_per_second=0.0, now=T0) for _ in range(4)]
    assert results == [True, True, True, False]
    assert await take("u2", capacity=3, refill_per_second=0.0, now=T0)  # its own bucket


async def test_bucket_refills_over_time_up_to_capacity(database: Database) -> None:
    """At one token a second, an empty bucket has one token after a second, never more
    than its capacity after an hour."""
    take = database.rate_limits.take
    assert await take("u1", capacity=2, refill_per_second=1.0, now=T0)
    assert await take("u1", capacity=2, refill_per_second=1.0, now=T0)
    assert not await take("u1", capacity=2, refill_per_second=1.0, now=T0)
    later = T0 + timedelta(seconds=1)
    assert await take("u1", capacity=2, refill_per_second=1.0, now=later)
    assert not await take("u1", capacity=2, refill_per_second=1.0, now=later)
    much_later = T0 + timedelta(hours=1)
    results = [
        await take("u1", capacity=2, refill_per_second=1.0, now=much_later) for _ in range(3)
    ]
    assert results == [True, True, False]


async def test_concurrent_takes_from_several_handles_never_overdraw(place: Place) -> None:
    """Twenty takes at once from three handles (three pools) on a bucket of five: five pass."""
    handles = [await place.open() for _ in range(3)]
    await handles[0].migrate()
    results = await asyncio.gather(
        *(
            handles[i % 3].rate_limits.take("flood", capacity=5, refill_per_second=0.0, now=T0)
            for i in range(20)
        )
    )
    assert sum(results) == 5


async def test_usage_and_misses_past_retention_are_purged(database: Database) -> None:
    """Retention drops usage records and knowledge misses older than the bound, no newer."""
    from agents.memory.knowledge import Miss

    await database.usage.record(replace(CALL, at=T0 - timedelta(days=40)))
    await database.usage.record(CALL)
    await database.knowledge.record_miss(Miss("T1", "C1", "U1", "old", T0 - timedelta(days=40)))
    await database.knowledge.record_miss(Miss("T1", "C1", "U1", "new", T0))
    bound = T0 - timedelta(days=30)
    assert await database.usage.purge(before=bound) == 1
    assert await database.knowledge.purge_misses(before=bound) == 1
    assert await database.usage.spent(SpendQuery("T1", T0 - timedelta(days=90))) == 140
    assert [m.query for m in await database.knowledge.misses()] == ["new"]
