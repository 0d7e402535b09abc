"""The edge's own ports: the deliveries it claims, retries, recovers and finishes.

Delivery bookkeeping belongs to the edge that owns deliveries: the domain answers a message
it is given and never sees a claim or a retry. ``storage/`` implements these Protocols; the
bot wires them in.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Protocol

from agents.kernel.models import ConversationKey, EventStatus, Inbound, Takeover
from agents.turns.stopping import StopRequest

__all__ = ["EventStore", "Participation", "ReplyLedger", "StopRequests"]


class EventStore(Protocol):
    """Durable claims on deliveries: the dedupe and crash-recovery record."""

    async def claim(
        self, inbound: Inbound, *, owner: str | None = None, lease_until: datetime | None = None
    ) -> bool:
        """Record the delivery unless ``(team_id, event_id)`` was seen before, leased to
        ``owner`` until ``lease_until`` when given.

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

    async def take_unfinished(self, takeover: Takeover) -> Sequence[Inbound]:
        """Lease to ``takeover.owner`` the unfinished deliveries claimed before
        ``takeover.claimed_before`` whose lease ran out by ``takeover.now`` (``held_too``:
        every one); the ones taken."""
        ...

    async def renew(self, *, owner: str, trace_ids: Collection[str], lease_until: datetime) -> int:
        """Extend ``owner``'s leases on those deliveries; how many were extended."""
        ...

    async def note_reply(self, *, team_id: str, event_id: str, ts: str) -> None:
        """Remember the message the delivery's reply is being written into (a stream that
        started), so that recovery after a crash finishes that message instead of posting."""
        ...

    async def reply_ts(self, *, team_id: str, event_id: str) -> str | None:
        """The message noted by :meth:`note_reply`, if any."""
        ...

    async def count_attempt(self, *, team_id: str, event_id: str) -> int:
        """Count one more processing attempt (the claim counted the first); return the count."""
        ...


class ReplyLedger(Protocol):
    """The writes that close a delivered turn, in one transaction."""

    async def complete_turn(self, inbound: Inbound, *, ts: str, now: datetime) -> None:
        """Mark the reply sent with ``ts``, the trace delivered and the delivery done."""
        ...


class Participation(Protocol):
    """Which threads the bot takes part in (a reply there is for it)."""

    async def has_conversation(self, key: ConversationKey) -> bool:
        """Whether the bot answered in this conversation before."""
        ...


class StopRequests(Protocol):
    """Stop requests shared by every replica: the one running the thread's turn may not be
    the one Slack told."""

    async def request(self, key: ConversationKey, *, user_id: str, now: datetime) -> None:
        """Store a stop request (and forget those older than an hour)."""
        ...

    async def after(self, seq: int, *, limit: int = 100) -> Sequence[StopRequest]:
        """The requests stored after ``seq``, oldest first."""
        ...

    async def last_seq(self) -> int:
        """The newest request's ``seq`` (0 if none): where a new reader starts."""
        ...
