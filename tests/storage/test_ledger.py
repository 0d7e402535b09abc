"""TurnLedger contract: a turn recorded in one transaction and completed in another."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest
from sqlalchemy import Table, func, select, text
from structlog.testing import capture_logs

from agents.kernel.errors import StorageError
from agents.kernel.models import ConversationKey
from storage import Database
from storage.tables import approvals, conversations, messages
from tests.storage.builders import T0, approval, at, entry, inbound, outbound, trace

THREAD = ConversationKey("T1", "C1", "1700000000.000001")
SENT_TS = "1700000002.000100"


async def _count(database: Database, table: Table) -> int:
    async with database.engine.connect() as connection:
        return int((await connection.execute(select(func.count()).select_from(table))).scalar_one())


async def _event_row(database: Database, event_id: str) -> tuple[str, object]:
    status, finished_at, _ = await _finished_event(database, event_id)
    return status, finished_at


async def _finished_event(
    database: Database, event_id: str
) -> tuple[str, object, tuple[object, ...]]:
    async with database.engine.connect() as connection:
        row = (
            await connection.execute(
                text(
                    "SELECT status, finished_at, text, lease_owner, lease_expires_at"
                    " FROM events WHERE event_id = :id"
                ),
                {"id": event_id},
            )
        ).one()
    return str(row[0]), row[1], tuple(row[2:])


async def test_record_turn_stores_message_reply_and_trace(database: Database) -> None:
    """One record_turn stores the person's message, the pending reply and the trace."""
    await database.ledger.record_turn(inbound(1), outbound(1), trace())
    history = await database.conversations.messages(THREAD, limit=10)
    assert [(m.direction, m.trace_id, m.text) for m in history] == [
        ("in", "trace-1", "message 1"),
        ("out", "trace-1", "reply 1"),
    ]
    assert [m.created_at for m in history] == [at(1), T0]  # the reply at the turn's start
    assert await database.conversations.find_reply("trace-1") == outbound(1)
    assert await database.traces.get("trace-1") == trace()
    assert await database.conversations.has_conversation(THREAD)


async def test_record_turn_is_idempotent_per_trace_id(database: Database) -> None:
    """Recording a turn again stores no second message, keeps the reply, replaces the trace."""
    await database.ledger.record_turn(inbound(1), outbound(1), trace())
    again = trace(outcome="agent_error", error="ValueError: boom")
    await database.ledger.record_turn(inbound(1, text="edited"), outbound(1, agent="help"), again)
    history = await database.conversations.messages(THREAD, limit=10)
    assert [(m.direction, m.text) for m in history] == [("in", "message 1"), ("out", "reply 1")]
    assert await database.conversations.find_reply("trace-1") == outbound(1)
    assert await database.traces.get("trace-1") == again
    assert await _count(database, conversations) == 1


async def test_record_turn_at_top_level_keeps_both_conversations(database: Database) -> None:
    """A message and its reply in different conversations are each stored in their own."""
    top_level = inbound(1, thread_ts=None)
    await database.ledger.record_turn(top_level, outbound(1), trace())
    [message] = await database.conversations.messages(ConversationKey("T1", "C1", ""), limit=5)
    [reply] = await database.conversations.messages(THREAD, limit=5)
    assert (message.direction, reply.direction) == ("in", "out")


async def test_complete_turn_marks_reply_trace_and_delivery(database: Database) -> None:
    """complete_turn marks the reply sent with its ts, the trace delivered, the event done
    (keeping neither its text nor its lease: nobody works on it any more)."""
    await database.events.claim(inbound(1), owner="replica-a", lease_until=at(60))
    await database.ledger.record_turn(inbound(1), outbound(1), trace())
    await database.ledger.complete_turn(inbound(1), ts=SENT_TS, now=at(3))
    assert await database.conversations.find_reply("trace-1") == replace(
        outbound(1), status="sent", ts=SENT_TS
    )
    assert await database.traces.get("trace-1") == trace(delivered_at=at(3))
    assert await database.events.unfinished(claimed_before=at(10), limit=5) == []
    status, finished_at, kept = await _finished_event(database, "Ev1")
    assert status == "done" and finished_at is not None
    assert kept == ("", None, None)


async def test_a_failing_record_turn_stores_nothing(database: Database) -> None:
    """If the trace cannot be written, neither the conversation nor a message is stored."""
    async with database.engine.begin() as connection:
        await connection.execute(text("DROP TABLE traces"))
    with pytest.raises(StorageError, match="could not record a turn"):
        await database.ledger.record_turn(inbound(1), outbound(1), trace())
    assert await _count(database, conversations) == 0
    assert await _count(database, messages) == 0


async def test_a_failing_complete_turn_changes_nothing(database: Database) -> None:
    """If the delivery cannot be finished, the reply stays pending and the trace undelivered."""
    await database.ledger.record_turn(inbound(1), outbound(1), trace())
    async with database.engine.begin() as connection:
        await connection.execute(text("DROP TABLE events"))
    with pytest.raises(StorageError, match="could not complete a turn"):
        await database.ledger.complete_turn(inbound(1), ts=SENT_TS, now=at(3))
    assert await database.conversations.find_reply("trace-1") == outbound(1)
    assert await database.traces.get("trace-1") == trace()


async def test_concurrent_writers_on_sqlite_queue_without_lock_errors(
    sqlite_database: Database,
) -> None:
    """50 claims (5 per event), turns and approvals at once on SQLite: no lock error, one winner."""
    database = sqlite_database
    claims = [database.events.claim(inbound(n)) for n in range(10) for _ in range(5)]
    turns = [
        database.ledger.record_turn(inbound(n), outbound(n), trace(f"trace-{n}", event_id=f"Ev{n}"))
        for n in range(10)
    ]
    # Approvals write through an AsyncConnection: the same queue as the claims and the turns.
    requests = [
        database.approvals.create(approval(n), audit=entry("requested", approval(n)))
        for n in range(10)
    ]
    results = await asyncio.gather(*claims, *turns, *requests)
    for n in range(10):
        assert results[n * 5 : n * 5 + 5].count(True) == 1
    assert await _count(database, messages) == 20
    assert await _count(database, approvals) == 10


async def test_completing_a_turn_nothing_was_recorded_for_says_what_it_did_not_find(
    database: Database,
) -> None:
    """On either engine (PostgreSQL runs it as one statement): no row is made up, and each
    of the three missing rows is logged."""
    with capture_logs() as logs:
        await database.ledger.complete_turn(inbound(7), ts=SENT_TS, now=at(3))
    assert {entry["event"] for entry in logs} == {
        "reply_not_found",
        "trace_not_found",
        "delivery_not_found",
    }
    assert await _count(database, messages) == 0


async def test_completing_a_turn_twice_finds_every_row_again(database: Database) -> None:
    """A repeat (a recovered turn) finds the reply, the trace and the delivery it finished
    before: nothing is logged missing, the delivery stays done."""
    await database.events.claim(inbound(1))
    await database.ledger.record_turn(inbound(1), outbound(1), trace())
    await database.ledger.complete_turn(inbound(1), ts=SENT_TS, now=at(3))
    with capture_logs() as logs:
        await database.ledger.complete_turn(inbound(1), ts=SENT_TS, now=at(4))
    assert logs == []
    assert (await _event_row(database, "Ev1"))[0] == "done"
    assert await database.traces.get("trace-1") == trace(delivered_at=at(4))
