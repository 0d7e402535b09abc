"""ConversationLocks on SQLite (in process) and PostgreSQL (a leased row shared by replicas):
one holder per thread, others wait; other threads are not held up; a dead holder's lease
runs out."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import text

from agents.kernel.models import ConversationKey
from storage import Database
from storage.locks import SqlConversationLocks
from tests.storage.conftest import postgres_place

THREAD = ConversationKey("T1", "C1", "1700000000.000001")
OTHER = ConversationKey("T1", "C1", "1700000000.000002")


async def _second_waits_for_first(first: object, second: object, database: Database) -> list[str]:
    events: list[str] = []
    inside = asyncio.Event()
    leave = asyncio.Event()

    async def holder() -> None:
        async with first.hold(THREAD):  # type: ignore[attr-defined]
            events.append("first in")
            inside.set()
            await leave.wait()
            events.append("first out")

    async def waiter() -> None:
        await inside.wait()
        async with second.hold(THREAD):  # type: ignore[attr-defined]
            events.append("second in")

    tasks = [asyncio.create_task(holder()), asyncio.create_task(waiter())]
    await inside.wait()
    for _ in range(20):  # real round trips while held: the waiter tries meanwhile (and waits)
        async with database.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    events.append("release")
    leave.set()
    await asyncio.wait_for(asyncio.gather(*tasks), timeout=10)
    return events


async def test_a_second_turn_in_the_thread_waits(database: Database) -> None:
    """While one turn holds the thread, another waits until it is released."""
    events = await _second_waits_for_first(database.locks, database.locks, database)
    assert events == ["first in", "release", "first out", "second in"]


async def test_other_threads_are_not_held_up(database: Database) -> None:
    """Holding one thread does not block another."""
    async with database.locks.hold(THREAD):
        async with asyncio.timeout(5):
            async with database.locks.hold(OTHER):
                pass


@pytest.fixture
async def replica() -> AsyncIterator[tuple[Database, Database]]:
    """Two engines on one fresh PostgreSQL schema: two replicas (PostgreSQL only: SQLite
    serves one process)."""
    async with postgres_place() as place:
        first = await place.open()
        await first.migrate()
        yield first, await place.open()


async def test_replicas_share_the_lock(replica: tuple[Database, Database]) -> None:
    """Two replicas take turns on a thread, and leave no lock row behind."""
    database, other = replica
    events = await _second_waits_for_first(database.locks, other.locks, database)
    assert events == ["first in", "release", "first out", "second in"]
    async with database.engine.connect() as connection:
        left = (await connection.execute(text("SELECT count(*) FROM conversation_locks"))).scalar()
    assert left == 0  # released rows are gone


async def test_a_dead_replicas_lease_runs_out(replica: tuple[Database, Database]) -> None:
    """A replica that died holding a thread blocks it only until its lease runs out."""
    database, _other = replica
    async with database.engine.begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO conversation_locks (key, owner, expires_at) "
                "VALUES (:key, 'dead-replica', now() + interval '300 milliseconds')"
            ),
            {"key": f"{THREAD.team_id}:{THREAD.channel_id}:{THREAD.thread_ts}"},
        )
    locks = SqlConversationLocks(database.engine, lease=timedelta(seconds=5))
    async with asyncio.timeout(10):
        async with locks.hold(THREAD), database.engine.connect() as connection:
            owner = (
                await connection.execute(text("SELECT owner FROM conversation_locks"))
            ).scalar()
    assert owner != "dead-replica"
