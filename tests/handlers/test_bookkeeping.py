"""Delivery bookkeeping at the edge: claims, attempts, delivery, recovery."""

from __future__ import annotations

from datetime import timedelta

from agents.kernel.models import Inbound, Outbound, Reply, Trace
from handlers.bookkeeping import Bookkeeping
from tests.agents.fakes import (
    FakeClock,
    MemoryConversations,
    MemoryEvents,
    MemoryLedger,
    MemoryTraces,
)


def _inbound(event_id: str = "Ev1", trace_id: str = "trace-1") -> Inbound:
    return Inbound(
        "T1", "C1", "U1", "hi", "mention", event_id, trace_id, FakeClock().now(), "1.1", "1.1"
    )


def _world() -> tuple[Bookkeeping, MemoryEvents, MemoryConversations, MemoryTraces, FakeClock]:
    events, conversations, traces, clock = (
        MemoryEvents(),
        MemoryConversations(),
        MemoryTraces(),
        FakeClock(),
    )
    book = Bookkeeping(events, MemoryLedger(events, conversations, traces), clock=clock)
    return book, events, conversations, traces, clock


async def test_a_second_claim_of_one_delivery_is_a_duplicate() -> None:
    """The same event id in the same team is claimed once; another team's is not the same."""
    book, *_ = _world()
    assert await book.claim(_inbound()) is True
    assert await book.claim(_inbound()) is False
    assert await book.claim(_inbound(event_id="Ev2")) is True


async def test_a_delivered_reply_finishes_the_delivery() -> None:
    """Delivered: the reply is marked sent with its ts, the trace delivered, the event done."""
    book, events, conversations, traces, clock = _world()
    inbound = _inbound()
    await book.claim(inbound)
    outbound = Outbound("trace-1", "T1", "C1", "1.1", "help", Reply(text="hello"))
    trace = Trace(
        "trace-1",
        "T1",
        "C1",
        "U1",
        "Ev1",
        "mention",
        "help",
        "fallback",
        0.0,
        "replied",
        clock.now(),
        1.0,
        1.0,
        2.0,
    )
    await MemoryLedger(events, conversations, traces).record_turn(inbound, outbound, trace)
    await book.delivered(inbound, ts="9.9")
    assert events.status("T1", "Ev1") == "done"
    reply = await conversations.find_reply("trace-1")
    assert reply is not None and (reply.status, reply.ts) == ("sent", "9.9")
    stored = await traces.get("trace-1")
    assert stored is not None and stored.delivered_at == clock.now()


async def test_recovery_finds_what_was_never_finished_and_counts_attempts() -> None:
    """A claimed delivery left unfinished is found again; each recovery counts an attempt;
    a given-up one is marked failed and no longer found."""
    book, events, _c, _t, clock = _world()
    inbound = _inbound()
    await book.claim(inbound)
    later = clock.now() + timedelta(minutes=5)
    assert await book.unfinished(claimed_before=later) == [inbound]
    assert await book.attempt(inbound) == 1
    assert await book.attempt(inbound) == 2
    await book.finish(inbound, failed=True)
    assert events.status("T1", "Ev1") == "failed"
    assert await book.unfinished(claimed_before=later) == []
