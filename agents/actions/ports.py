"""The ports of actions and approvals: approvals and their votes, the job queue, the audit
log, who belongs to which Slack user group, and telling Slack about a change."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, Protocol

from agents.actions.approval import Approval
from agents.actions.jobs import AuditEntry, AuditQuery, Job
from agents.actions.presentation import RunOutput

__all__ = [
    "ApprovalNews",
    "ApprovalNotifier",
    "ApprovalStore",
    "AuditLog",
    "GroupDirectory",
    "JobStore",
]


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

    async def by_card(self, channel_id: str, message_ts: str) -> Approval | None:
        """The approval whose card is the message ``message_ts`` in ``channel_id``, if any."""
        ...

    async def pending(
        self, *, team_id: str, limit: int, approved_too: bool = False
    ) -> Sequence[Approval]:
        """Approvals still ``pending`` in a workspace (``approved_too``: or approved and not
        yet running), oldest first."""
        ...

    async def due_to_expire(self, *, now: datetime, limit: int) -> Sequence[Approval]:
        """``pending`` approvals whose ``expires_at`` is at or before ``now``."""
        ...


class JobStore(Protocol):
    """The durable queue of approved actions, claimed under a lease."""

    async def claim_next(
        self, *, owner: str, now: datetime, lease: timedelta, approval_id: str | None = None
    ) -> Job | None:
        """Claim the oldest runnable job: queued, or running with an expired lease (only the
        job of ``approval_id`` when given: a turn runs the read it waits for itself).

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

    async def entries(self, query: AuditQuery) -> Sequence[AuditEntry]:
        """The entries ``query`` asks for, oldest first (in the order written)."""
        ...


class GroupDirectory(Protocol):
    """Which of the configured Slack user groups a user belongs to (cached at the edge)."""

    async def groups_of(self, user_id: str) -> frozenset[str]:
        """The handles (without ``@``) of the configured groups ``user_id`` is a member of."""
        ...


@dataclass(frozen=True, slots=True)
class ApprovalNews:
    """What just happened to a request that the people in its thread are told (the edge
    words it): a decisive vote, an edit, the expiry, how the run ended, or that the run was
    refused because the action changed after it was approved (an alert too).

    Attributes:
        actor: who voted or edited (``""`` for expiry and results).
        before: for an edit, the request as it was (the thread is shown the difference).
        output: for ``finished``, the run's output as presented (redacted and capped), when
            it is to be shown: a read's, or any action's with a ``result`` format.
    """

    kind: Literal["voted", "edited", "expired", "finished", "action_changed"]
    actor: str = ""
    before: Approval | None = None
    output: RunOutput | None = None


class ApprovalNotifier(Protocol):
    """Tells Slack about an approval's change: the card, the thread, the escalation channel."""

    async def approval_changed(self, approval: Approval, *, news: ApprovalNews | None) -> None:
        """Update the card to the approval's state and, with ``news``, tell the thread."""
        ...

    async def escalate(self, approval: Approval, *, channel_id: str) -> None:
        """Announce an expired request in the escalation channel."""
        ...
