"""The ports of a turn: deliveries, conversations, traces, the turn's writes, the per-thread
lock and the per-person rate limit.

``storage/`` implements them; the domain imports it not.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Protocol

from agents.kernel.models import (
    ConversationKey,
    EventStatus,
    Inbound,
    Outbound,
    StoredMessage,
    Trace,
)

__all__ = [
    "ConversationLocks",
    "ConversationStore",
    "EventStore",
    "RateLimiter",
    "TraceStore",
    "TurnLedger",
]


class EventStore(Protocol):
    """Durable claims on deliveries: the dedupe and crash-recovery record."""

    async def claim(self, inbound: Inbound) -> bool:
        """Record the delivery unless ``(team_id, event_id)`` was seen before.

        Returns:
            True if this call claimed it (process it), False for a duplicate (drop it).
        """
        ...

    async def finish(
        self, *, team_id: str, event_id: str, status: EventStatus, now: datetime
    ) -> None:
        """Mark a claimed delivery as finished (``done``) or given up (``failed``)."""
        ...

    async def unfinished(self, *, claimed_before: datetime, limit: int) -> Sequence[Inbound]:
        """Claimed deliveries never finished, oldest first, claimed before ``claimed_before``."""
        ...

    async def count_attempt(self, *, team_id: str, event_id: str) -> int:
        """Count one more processing attempt (the claim counted the first); return the count."""
        ...


class ConversationStore(Protocol):
    """Conversations (one per Slack thread) and their messages, in and out."""

    async def record_inbound(self, inbound: Inbound) -> None:
        """Store a person's message in its conversation (idempotent per trace id)."""
        ...

    async def record_reply(self, outbound: Outbound, *, now: datetime) -> None:
        """Store a reply as ``pending`` before it is posted (idempotent per trace id)."""
        ...

    async def find_reply(self, trace_id: str) -> Outbound | None:
        """The reply stored for a turn, if any."""
        ...

    async def mark_sent(self, *, trace_id: str, ts: str) -> None:
        """Record that Slack accepted the reply, with its message ts."""
        ...

    async def latest_reply(self, key: ConversationKey) -> Outbound | None:
        """The newest reply stored in a conversation (to continue a pending question)."""
        ...

    async def has_conversation(self, key: ConversationKey) -> bool:
        """Whether the bot takes part in this conversation (it answered there before)."""
        ...

    async def messages(self, key: ConversationKey, *, limit: int) -> Sequence[StoredMessage]:
        """The newest ``limit`` messages of a conversation, oldest first."""
        ...

    async def edit_message(self, *, team_id: str, channel_id: str, ts: str, text: str) -> int:
        """Replace the stored text of a person's message; returns how many rows changed."""
        ...

    async def erase_message(self, *, team_id: str, channel_id: str, ts: str) -> int:
        """Delete the stored copy of a person's message; returns how many rows went."""
        ...

    async def erase_user(self, *, team_id: str | None, user_id: str) -> int:
        """Delete every message a person wrote in the team (any team when None); returns how
        many."""
        ...

    async def purge(self, *, before: datetime) -> int:
        """Delete messages stored before ``before``; returns how many."""
        ...


class TraceStore(Protocol):
    """One record per turn."""

    async def save(self, trace: Trace) -> None:
        """Insert the trace, or replace the one with the same trace id."""
        ...

    async def mark_delivered(self, *, trace_id: str, at: datetime) -> None:
        """Record when the turn's reply reached Slack."""
        ...

    async def get(self, trace_id: str) -> Trace | None:
        """The trace with this id, if stored."""
        ...


class ConversationLocks(Protocol):
    """One turn at a time per thread, across every process that shares the database."""

    def hold(self, key: ConversationKey) -> AbstractAsyncContextManager[None]:
        """Exclusive use of the conversation for one turn; waits while another turn has it."""
        ...


class TurnLedger(Protocol):
    """The writes of one turn grouped into as few transactions as possible.

    A turn is recorded in one transaction (conversation, the person's message, the pending
    reply, the trace) and completed in another (reply sent, trace delivered, delivery done).
    """

    async def record_turn(self, inbound: Inbound, outbound: Outbound, trace: Trace) -> None:
        """Store the message, the pending reply and the trace, atomically and idempotently."""
        ...

    async def complete_turn(self, inbound: Inbound, *, ts: str, now: datetime) -> None:
        """Mark the reply sent with ``ts``, the trace delivered and the delivery done."""
        ...


class RateLimiter(Protocol):
    """Token buckets shared by every process through the database."""

    async def take(
        self, key: str, *, capacity: float, refill_per_second: float, now: datetime
    ) -> bool:
        """Take one token from the bucket ``key`` (created full on first use).

        The bucket refills continuously at ``refill_per_second`` up to ``capacity``; the
        read-refill-take is one atomic step, so concurrent callers never overdraw it.

        Returns:
            True if a token was taken, False if the bucket is empty.
        """
        ...
