"""SQLite writes: one queue per engine, run inline, waiting in a thread only for other processes."""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path

from structlog.testing import capture_logs

from agents.kernel.errors import StorageError
from storage import Database
from storage.engine import views
from tests.storage.builders import at, inbound, outbound, trace
from tests.storage.conftest import sqlite_url


async def test_writers_wait_for_the_queue_and_readers_do_not(sqlite_database: Database) -> None:
    """While a transaction is open, a claim waits its turn (no error) and a read goes ahead."""
    await sqlite_database.traces.save(trace())
    async with views(sqlite_database.engine).transaction.begin():
        claim = asyncio.create_task(sqlite_database.events.claim(inbound(1)))
        assert await sqlite_database.traces.get("trace-1") == trace()
        assert not claim.done()
    assert await claim is True


async def test_a_writer_in_another_process_is_waited_for_in_a_thread(tmp_path: Path) -> None:
    """When another connection holds the write lock, a claim waits for it instead of failing."""
    url = sqlite_url(tmp_path)
    async with await Database.connect(url) as database, await Database.connect(url) as other:
        await database.migrate()
        with capture_logs() as logs:
            async with views(other.engine).transaction.begin():  # takes SQLite's write lock
                claim = asyncio.create_task(database.events.claim(inbound(1)))
                for _ in range(100):  # the claim tries once, finds the lock taken, waits
                    if logs:
                        break
                    await asyncio.sleep(0)
                assert not claim.done()
            assert await claim is True
        assert [entry["event"] for entry in logs] == ["sqlite_locked_elsewhere"]
        assert await database.events.claim(inbound(2)) is True  # inline again


async def test_an_in_memory_database_records_turns() -> None:
    """An in-memory SQLite database (no file to share) writes through its async engine."""
    async with await Database.connect("sqlite:///:memory:") as database:
        await database.migrate()
        assert await database.events.claim(inbound(1)) is True
        await database.ledger.record_turn(inbound(1), outbound(1), trace())
        assert await database.conversations.find_reply("trace-1") == outbound(1)


def test_one_engine_serves_successive_event_loops(tmp_path: Path) -> None:
    """The write queue is made per event loop, so an engine outlives the loop that made it."""
    url = sqlite_url(tmp_path)

    async def first() -> Database:
        database = await Database.connect(url)
        await database.migrate()
        async with views(database.engine).transaction.begin():
            claim = asyncio.create_task(database.events.claim(inbound(1)))
            await asyncio.sleep(0)
        assert await claim is True
        return database

    async def second(database: Database) -> None:
        async with views(database.engine).transaction.begin():
            claim = asyncio.create_task(database.events.claim(inbound(2)))
            await asyncio.sleep(0)
        assert await claim is True
        await database.close()

    database = asyncio.run(first())
    asyncio.run(second(database))


async def test_claims_queued_behind_a_transaction_are_committed_together(tmp_path: Path) -> None:
    """While a transaction holds the write gate, the claims that arrive wait and then go in
    one transaction: each is claimed exactly once (a redelivery among them refused), and
    every row is there after they return."""
    async with await Database.connect(sqlite_url(tmp_path)) as database:
        await database.migrate()
        assert await database.events.claim(inbound(0)) is True
        async with views(database.engine).transaction.begin():  # holds the gate
            claims = [asyncio.create_task(database.events.claim(inbound(n))) for n in range(8)]
            await asyncio.sleep(0.01)
            assert not any(claim.done() for claim in claims)
        assert await asyncio.gather(*claims) == [False] + [True] * 7
        group = database.events._claims
        assert group is not None and (group.batches, group.items) == (3, 9)
        assert len(await database.events.unfinished(claimed_before=at(10**6), limit=20)) == 8


async def test_writes_ready_in_one_loop_step_commit_together(sqlite_database: Database) -> None:
    """Writes made ready in the same step of the event loop share one transaction: four
    writes (two claims, a redelivery, a trace) take two commits, and each caller gets its
    own result."""
    database = sqlite_database
    group = views(database.engine).write._batches._group  # type: ignore[attr-defined]
    before = (group.batches, group.items)
    results = await asyncio.gather(
        database.events.claim(inbound(1)),
        database.traces.save(trace()),
        database.events.claim(inbound(2)),
        database.events.claim(inbound(1)),
    )
    assert results == [True, None, True, False]
    # The first claim and the trace lingered together; the claims queued behind the first
    # (storage.batching) went next, as one work.
    assert (group.batches - before[0], group.items - before[1]) == (2, 3)
    assert await database.traces.get("trace-1") == trace()
    assert len(await database.events.unfinished(claimed_before=at(10**6), limit=20)) == 2


async def test_a_failing_write_in_a_batch_fails_alone(sqlite_database: Database) -> None:
    """A write that fails (a naive datetime) in a batch fails only its caller: the batch is
    rolled back and the others are written again, each alone."""
    database = sqlite_database
    with capture_logs() as logs:
        claimed, saved = await asyncio.gather(
            database.events.claim(inbound(1)),
            database.traces.save(trace(started_at=datetime(2026, 12, 4, 12, 0))),
            return_exceptions=True,
        )
    assert claimed is True and isinstance(saved, StorageError)
    assert "group_commit_split" in [entry["event"] for entry in logs]
    assert len(await database.events.unfinished(claimed_before=at(10**6), limit=20)) == 1
