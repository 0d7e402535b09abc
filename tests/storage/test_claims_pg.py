"""Group commit of claims on PostgreSQL: claims that queue while one is written go in one
statement (``storage.claims_pg``), each told whether it inserted its delivery."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from structlog.testing import capture_logs

from agents.kernel.errors import StorageError
from storage import Database
from storage.tables import events
from tests.storage.builders import at, inbound


@contextmanager
def _inserts() -> Iterator[list[str]]:
    """The INSERT statements asyncpg is asked to run meanwhile (where SQLAlchemy's adapter
    prepares them: the claims on asyncpg itself go through it too)."""
    from sqlalchemy.dialects.postgresql import asyncpg

    sent: list[str] = []
    connection = asyncpg.AsyncAdapt_asyncpg_connection
    prepare = connection._prepare

    async def counted(self: Any, operation: str, invalidate: Any) -> Any:
        if operation.startswith("INSERT INTO events"):
            sent.append(operation)
        return await prepare(self, operation, invalidate)  # type: ignore[no-untyped-call]

    connection._prepare = counted  # type: ignore[method-assign]
    try:
        yield sent
    finally:
        connection._prepare = prepare  # type: ignore[method-assign]


async def _claimed(database: Database) -> list[str]:
    waiting = await database.events.unfinished(claimed_before=at(10**6), limit=50)
    return sorted(delivery.event_id for delivery in waiting)


async def test_claims_queued_behind_one_go_in_one_statement(postgres: Database) -> None:
    """Eight claims at once: the first is written alone, the seven that queued meanwhile in
    one statement; a delivery claimed before and one twice in the batch are refused, each
    other claim inserted its delivery, and every row is there when they return."""
    assert await postgres.events.claim(inbound(9)) is True
    numbers = [1, 2, 3, 9, 4, 2, 5, 6]
    with _inserts() as sent:
        results = await asyncio.gather(*(postgres.events.claim(inbound(n)) for n in numbers))
    assert results == [True, True, True, False, True, False, True, True]
    assert len(sent) == 2 and "unnest" not in sent[0] and "unnest" in sent[1]
    assert await _claimed(postgres) == [f"Ev{n}" for n in (1, 2, 3, 4, 5, 6, 9)]


async def test_a_failing_claim_in_a_batch_fails_alone(postgres: Database) -> None:
    """A claim PostgreSQL refuses (a NUL in its text) makes the batch's statement fail, which
    wrote nothing; the claims are then written one by one and only that one fails."""
    first = asyncio.create_task(postgres.events.claim(inbound(1)))
    await asyncio.sleep(0)  # the first is being written: the next three queue behind it
    with capture_logs() as logs:
        results = await asyncio.gather(
            postgres.events.claim(inbound(2)),
            postgres.events.claim(inbound(3, text="bad\x00")),
            postgres.events.claim(inbound(4)),
            return_exceptions=True,
        )
    assert await first is True
    assert results[0] is True and results[2] is True and isinstance(results[1], StorageError)
    assert "group_commit_split" in [entry["event"] for entry in logs]
    assert await _claimed(postgres) == ["Ev1", "Ev2", "Ev4"]


async def test_claims_with_and_without_a_lease_in_one_batch(postgres: Database) -> None:
    """Claims that set different columns (a lease or none) cannot share the statement: they
    are written one by one, each claimed once, the lease kept where given."""
    until = at(100) + timedelta(minutes=1)
    first = asyncio.create_task(postgres.events.claim(inbound(1)))
    await asyncio.sleep(0)
    with capture_logs() as logs:
        results = await asyncio.gather(
            postgres.events.claim(inbound(2), owner="replica-a", lease_until=until),
            postgres.events.claim(inbound(3)),
            postgres.events.claim(inbound(2)),
        )
    assert await first is True
    assert list(results) == [True, True, False]
    assert "group_commit_split" in [entry["event"] for entry in logs]
    assert await _claimed(postgres) == ["Ev1", "Ev2", "Ev3"]
    async with postgres.engine.connect() as connection:
        leases = await connection.execute(
            select(events.c.event_id, events.c.lease_owner).order_by(events.c.event_id)
        )
        assert list(leases) == [("Ev1", None), ("Ev2", "replica-a"), ("Ev3", None)]


async def test_a_batch_inserts_in_key_order(postgres: Database) -> None:
    """A batch's rows go in in key order, whatever order its claims came in (their serial ids
    ascend with the keys): two replicas' batches that overlap wait for each other's rows in
    one order, never in a cycle (a deadlock)."""
    first = asyncio.create_task(postgres.events.claim(inbound(1)))
    await asyncio.sleep(0)
    claims = (postgres.events.claim(inbound(n)) for n in (5, 3, 4))
    assert list(await asyncio.gather(*claims)) == [True, True, True]
    assert await first is True
    async with postgres.engine.connect() as connection:
        rows = await connection.execute(select(events.c.event_id).order_by(events.c.id))
        assert list(rows.scalars()) == ["Ev1", "Ev3", "Ev4", "Ev5"]
