"""In-memory fakes of the domain's ports, for pure domain tests."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from agents.core.models import (
    ConversationKey,
    EventStatus,
    Inbound,
    Outbound,
    StoredMessage,
    Trace,
)


class FakeClock:
    """A clock that moves only when told to."""

    def __init__(self, start: datetime | None = None) -> None:
        self.current = start or datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
        self.ticks = 0.0

    def now(self) -> datetime:
        return self.current

    def monotonic(self) -> float:
        self.ticks += 0.001
        return self.ticks

    def advance(self, seconds: float) -> None:
        self.current += timedelta(seconds=seconds)


class MemoryEvents:
    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], tuple[Inbound, EventStatus, int]] = {}

    async def claim(self, inbound: Inbound) -> bool:
        key = (inbound.team_id, inbound.event_id)
        if key in self.rows:
            return False
        self.rows[key] = (inbound, "claimed", 0)
        return True

    async def finish(
        self, *, team_id: str, event_id: str, status: EventStatus, now: datetime
    ) -> None:
        inbound, _, attempts = self.rows[(team_id, event_id)]
        self.rows[(team_id, event_id)] = (inbound, status, attempts)

    async def unfinished(self, *, claimed_before: datetime, limit: int) -> Sequence[Inbound]:
        rows = [
            inbound
            for inbound, status, _ in self.rows.values()
            if status == "claimed" and inbound.received_at < claimed_before
        ]
        return sorted(rows, key=lambda i: i.received_at)[:limit]

    async def count_attempt(self, *, team_id: str, event_id: str) -> int:
        inbound, status, attempts = self.rows[(team_id, event_id)]
        self.rows[(team_id, event_id)] = (inbound, status, attempts + 1)
        return attempts + 1

    def status(self, team_id: str, event_id: str) -> EventStatus:
        return self.rows[(team_id, event_id)][1]


class MemoryConversations:
    def __init__(self) -> None:
        self.inbound: dict[str, Inbound] = {}
        self.replies: dict[str, Outbound] = {}

    async def record_inbound(self, inbound: Inbound) -> None:
        self.inbound.setdefault(inbound.trace_id, inbound)

    async def record_reply(self, outbound: Outbound, *, now: datetime) -> None:
        self.replies.setdefault(outbound.trace_id, outbound)

    async def find_reply(self, trace_id: str) -> Outbound | None:
        return self.replies.get(trace_id)

    async def mark_sent(self, *, trace_id: str, ts: str) -> None:
        self.replies[trace_id] = replace(self.replies[trace_id], status="sent", ts=ts)

    async def latest_reply(self, key: ConversationKey) -> Outbound | None:
        matching = [
            o
            for o in self.replies.values()
            if ConversationKey(o.team_id, o.channel_id, o.thread_ts or "") == key
        ]
        return matching[-1] if matching else None

    async def has_conversation(self, key: ConversationKey) -> bool:
        # Like the SQL store: the bot takes part once it has a reply stored there.
        return any(
            ConversationKey(o.team_id, o.channel_id, o.thread_ts or "") == key
            for o in self.replies.values()
        )

    async def messages(self, key: ConversationKey, *, limit: int) -> Sequence[StoredMessage]:
        return [
            StoredMessage("in", i.user_id, i.text, i.trace_id, i.ts, i.received_at)
            for i in self.inbound.values()
            if i.conversation == key
        ][-limit:]


class MemoryTraces:
    def __init__(self) -> None:
        self.rows: dict[str, Trace] = {}

    async def save(self, trace: Trace) -> None:
        self.rows[trace.trace_id] = trace

    async def mark_delivered(self, *, trace_id: str, at: datetime) -> None:
        self.rows[trace_id] = replace(self.rows[trace_id], delivered_at=at)

    async def get(self, trace_id: str) -> Trace | None:
        return self.rows.get(trace_id)
