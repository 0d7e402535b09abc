"""Ports: everything the domain needs from the world, as Protocols.

``storage/`` implements the stores, ``bot/`` supplies the clock; the domain imports neither.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime, timedelta
from typing import Protocol

from agents.core.approval import Approval
from agents.core.jobs import AuditEntry, Job
from agents.core.models import (
    ConversationKey,
    EventStatus,
    Inbound,
    Outbound,
    StoredMessage,
    Trace,
)

__all__ = [
    "ApprovalNotifier",
    "ApprovalStore",
    "AuditLog",
    "Clock",
    "ConversationLocks",
    "ConversationStore",
    "EventStore",
    "GroupDirectory",
    "JobStore",
    "TraceStore",
    "TurnLedger",
]


class Clock(Protocol):
    """Wall time for records and a monotonic reading for durations."""

    def now(self) -> datetime:
        """The current time, timezone-aware (UTC)."""
        ...

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back, for measuring durations."""
        ...


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


class ApprovalStore(Protocol):
    """Approvals, their votes, and the job an approval becomes, changed compare-and-set."""

    async def create(self, approval: Approval, *, audit: AuditEntry) -> None:
        """Insert a new ``pending`` approval and its ``requested`` audit entry, atomically."""
        ...

    async def get(self, approval_id: str) -> Approval | None:
        """The approval with this id."""
        ...

    async def by_token(self, token: str) -> Approval | None:
        """The approval whose buttons carry this token."""
        ...

    async def apply(
        self, before: Approval, after: Approval, *, audit: Sequence[AuditEntry]
    ) -> bool:
        """Store ``after`` if the stored row is still at ``before.version``, in one transaction.

        The same transaction records new votes (``approval_votes``), appends ``audit``, and
        when ``after`` is newly ``approved`` enqueues its job (one per approval).

        Returns:
            False when another writer got there first (nothing was changed).
        """
        ...

    async def set_message_ts(self, approval_id: str, ts: str) -> None:
        """Remember the ts of the approval card in Slack (for ``chat.update``)."""
        ...

    async def pending(self, *, team_id: str, limit: int) -> Sequence[Approval]:
        """Approvals still ``pending`` in a workspace, oldest first."""
        ...

    async def due_to_expire(self, *, now: datetime, limit: int) -> Sequence[Approval]:
        """``pending`` approvals whose ``expires_at`` is at or before ``now``."""
        ...


class JobStore(Protocol):
    """The durable queue of approved actions, claimed under a lease."""

    async def claim_next(self, *, owner: str, now: datetime, lease: timedelta) -> Job | None:
        """Claim the oldest runnable job: queued, or running with an expired lease.

        Exactly one claimer wins a job (row lock / ``SKIP LOCKED`` on PostgreSQL).
        """
        ...

    async def renew(self, job_id: str, *, owner: str, now: datetime, lease: timedelta) -> bool:
        """Extend the lease; False if ``owner`` no longer holds it."""
        ...

    async def complete(self, job_id: str, *, owner: str, now: datetime) -> None:
        """Mark the job done (its outcome lives on the approval)."""
        ...


class AuditLog(Protocol):
    """The append-only audit trail."""

    async def append(self, entry: AuditEntry) -> None:
        """Add one entry."""
        ...

    async def entries(
        self,
        *,
        since: datetime | None,
        action: str | None,
        limit: int,
        trace_id: str | None = None,
    ) -> Sequence[AuditEntry]:
        """Entries oldest first, optionally since a time, for one action, for one turn."""
        ...


class GroupDirectory(Protocol):
    """Which of the configured Slack user groups a user belongs to (cached at the edge)."""

    async def groups_of(self, user_id: str) -> frozenset[str]:
        """The handles (without ``@``) of the configured groups ``user_id`` is a member of."""
        ...


class ApprovalNotifier(Protocol):
    """Tells Slack about an approval's change: the card, the thread, the escalation channel."""

    async def approval_changed(self, approval: Approval, *, note: str | None) -> None:
        """Update the card to the approval's state and, with ``note``, tell the thread."""
        ...

    async def escalate(self, approval: Approval, *, channel_id: str) -> None:
        """Announce an expired request in the escalation channel."""
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
