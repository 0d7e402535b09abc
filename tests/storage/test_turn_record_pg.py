"""PostgreSQL: a turn's record as one statement (``storage.turn_record_pg``) stores exactly
what the record's transaction stores, releases the turn's lease with it, and commits nothing
when it fails."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import select, text, update

from agents.kernel.errors import StorageError
from agents.kernel.models import ConversationKey, Inbound, Outbound, Trace
from agents.memory.copies import TOMBSTONE
from storage import Database
from storage.ledger import _record
from storage.tables import conversation_locks, conversations, events, messages, traces
from tests.storage.builders import at, inbound, outbound, trace

Turn = tuple[Inbound, Outbound, Trace]
Recorder = Callable[[Database, Turn], Awaitable[None]]


def _turn(team: str, n: int, **changes: Any) -> Turn:
    trace_id = f"{team}-trace-{n}"
    person = inbound(n, team_id=team, trace_id=trace_id, **changes)
    reply = outbound(n, team_id=team, trace_id=trace_id)
    return person, reply, trace(trace_id, team_id=team, event_id=person.event_id, started_at=at(n))


async def _by_statement(database: Database, turn: Turn) -> None:
    await database.ledger.record_turn(*turn)


async def _by_transaction(database: Database, turn: Turn) -> None:
    async with database.engine.begin() as connection:
        await connection.run_sync(_record, "postgresql", *turn)


async def _edit_delivery(database: Database, turn: Turn, words: str) -> None:
    """The delivery is claimed, then its message edited (or deleted) in Slack mid-turn."""
    assert await database.events.claim(turn[0])
    async with database.engine.begin() as connection:
        await connection.execute(
            update(events).where(events.c.event_id == turn[0].event_id).values(text=words)
        )


async def _new_thread(database: Database, team: str, record: Recorder) -> None:
    await record(database, _turn(team, 1))


async def _second_turn(database: Database, team: str, record: Recorder) -> None:
    await record(database, _turn(team, 1))
    await record(database, _turn(team, 2))


async def _repeated(database: Database, team: str, record: Recorder) -> None:
    await record(database, _turn(team, 1))
    person, reply, again = _turn(team, 1, text="edited")
    await record(
        database, (person, replace(reply, agent="help"), replace(again, outcome="stopped"))
    )


async def _top_level(database: Database, team: str, record: Recorder) -> None:
    await record(database, _turn(team, 1, thread_ts=None))


async def _claimed(database: Database, team: str, record: Recorder) -> None:
    turn = _turn(team, 1)
    await _edit_delivery(database, turn, turn[0].text)
    await record(database, turn)


async def _edited_meanwhile(database: Database, team: str, record: Recorder) -> None:
    turn = _turn(team, 1)
    await _edit_delivery(database, turn, "new words")
    await record(database, turn)


async def _deleted_meanwhile(database: Database, team: str, record: Recorder) -> None:
    turn = _turn(team, 1)
    await _edit_delivery(database, turn, TOMBSTONE)
    await record(database, turn)


SCENARIOS = {
    "new thread": _new_thread,
    "second turn": _second_turn,
    "repeated": _repeated,
    "top level": _top_level,
    "claimed": _claimed,
    "edited meanwhile": _edited_meanwhile,
    "deleted meanwhile": _deleted_meanwhile,
}


async def _stored(database: Database, team: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the team's turns, ids and the team's name left out."""

    def plain(row: Any) -> tuple[Any, ...]:
        return tuple(
            str(value).replace(team, "T") if isinstance(value, str) else value
            for key, value in row._mapping.items()
            if key not in ("id", "conversation_id")
        )

    queries = {
        "conversations": select(conversations).where(conversations.c.team_id == team),
        "messages": select(messages, conversations.c.thread_ts.label("thread"))
        .join(conversations)
        .where(conversations.c.team_id == team),
        "traces": select(traces).where(traces.c.team_id == team),
        "events": select(events).where(events.c.team_id == team),
    }
    async with database.engine.connect() as connection:
        return {
            name: sorted((plain(row) for row in await connection.execute(query)), key=repr)
            for name, query in queries.items()
        }


@contextmanager
def _statements(database: Database) -> Iterator[list[str]]:
    """The statements sent to the server meanwhile (first words; BEGIN for a transaction),
    counted where the asyncpg adapter under SQLAlchemy prepares them (its cache), which
    statements run on asyncpg itself go through too."""
    from sqlalchemy.dialects.postgresql import asyncpg

    sent: list[str] = []
    connection = asyncpg.AsyncAdapt_asyncpg_connection
    prepare, begin = connection._prepare, connection._start_transaction

    async def counted_prepare(self: Any, operation: str, invalidate: Any) -> Any:
        sent.append(operation.split()[0])
        return await prepare(self, operation, invalidate)  # type: ignore[no-untyped-call]

    async def counted_begin(self: Any) -> None:
        if self.isolation_level != "autocommit":
            sent.append("BEGIN")
        await begin(self)  # type: ignore[no-untyped-call]

    connection._prepare, connection._start_transaction = counted_prepare, counted_begin  # type: ignore[method-assign]
    try:
        yield sent
    finally:
        connection._prepare, connection._start_transaction = prepare, begin  # type: ignore[method-assign]


@pytest.mark.parametrize("scenario", SCENARIOS)
async def test_the_statement_stores_what_the_transaction_stores(
    postgres: Database, scenario: str
) -> None:
    """Each scenario, recorded by the statement (team TA) and by the transaction (team TB),
    leaves the same rows."""
    sent: list[str] = []

    async def by_statement(database: Database, turn: Turn) -> None:
        with _statements(database) as record:
            await _by_statement(database, turn)
        sent.extend(record)

    await SCENARIOS[scenario](postgres, "TA", by_statement)
    await SCENARIOS[scenario](postgres, "TB", _by_transaction)
    assert await _stored(postgres, "TA") == await _stored(postgres, "TB")
    records = [s for s in sent if s in ("WITH", "INSERT")]
    if scenario in ("top level", "edited meanwhile", "deleted meanwhile"):
        assert len(records) > len([s for s in sent if s == "WITH"])  # the transaction's path
    else:
        assert set(records) == {"WITH"}  # one statement per record


async def test_a_failing_statement_stores_nothing(postgres: Database) -> None:
    """A part of the statement that fails (the reply's status breaks a CHECK) fails it all:
    no conversation, message or trace is stored."""
    person, reply, turn_trace = _turn("TA", 1)
    with pytest.raises(StorageError, match="could not record a turn"):
        await postgres.ledger.record_turn(person, replace(reply, status="bogus"), turn_trace)  # type: ignore[arg-type]
    assert await _stored(postgres, "TA") == {
        "conversations": [],
        "messages": [],
        "traces": [],
        "events": [],
    }


async def _lease_rows(database: Database) -> list[str]:
    async with database.engine.connect() as connection:
        return list((await connection.execute(select(conversation_locks.c.key))).scalars())


async def test_the_record_releases_the_turns_lease(postgres: Database) -> None:
    """The record's statement deletes the lease; hold() then sends nothing more."""
    turn = _turn("T1", 1)
    holding = postgres.locks.hold(turn[0].conversation)
    await holding.__aenter__()
    assert len(await _lease_rows(postgres)) == 1
    with _statements(postgres) as sent:
        await postgres.ledger.record_turn(*turn)
        await holding.__aexit__(None, None, None)
    assert sent == ["WITH"]
    assert await _lease_rows(postgres) == []


@pytest.mark.parametrize("failing", [True, False])
async def test_a_record_that_did_not_release_leaves_the_lease_to_hold(
    postgres: Database, failing: bool
) -> None:
    """A failed record (nothing committed), or one that took the transaction, keeps the
    lease until hold() gives it back, as before."""
    person, reply, turn_trace = _turn("T1", 1)
    if failing:
        reply = replace(reply, status="bogus")  # type: ignore[arg-type]
    else:
        await _edit_delivery(postgres, (person, reply, turn_trace), "new words")
    async with postgres.locks.hold(person.conversation):
        try:
            await postgres.ledger.record_turn(person, reply, turn_trace)
        except StorageError:
            assert failing
        assert len(await _lease_rows(postgres)) == 1
    assert await _lease_rows(postgres) == []


async def test_another_conversations_lease_is_not_released(postgres: Database) -> None:
    """A record for another conversation than the held one leaves the lease alone."""
    held = ConversationKey("T1", "C1", "1700000000.999999")
    async with postgres.locks.hold(held):
        await postgres.ledger.record_turn(*_turn("T1", 1))
        assert len(await _lease_rows(postgres)) == 1
    assert await _lease_rows(postgres) == []
    async with postgres.engine.connect() as connection:
        assert (await connection.execute(text("SELECT count(*) FROM traces"))).scalar_one() == 1
