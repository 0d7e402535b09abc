"""The ports of a turn: the thread's replies and messages, the turn's writes, the per-thread
lock, the per-person rate limit, how a listing of approvals is worded, and the reads a
model's turn runs.

``storage/`` implements the stores and ``handlers/`` the wording; the domain imports neither.
Deliveries (claims, attempts, recovery) belong to the edge that owns them (``handlers``).
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Protocol

from agents.actions.approval import Approval
from agents.actions.reads import ReadRequest, ReadResult
from agents.kernel.models import ConversationKey, Inbound, Outbound, Reply, StoredMessage, Trace

__all__ = [
    "ApprovalsView",
    "ConversationLocks",
    "MessageHistory",
    "RateLimiter",
    "ReadTools",
    "TurnLedger",
    "TurnReplies",
    "ViewContexts",
]


class TurnReplies(Protocol):
    """The replies stored for turns, read back."""

    async def find_reply(self, trace_id: str) -> Outbound | None:
        """The reply stored for a turn, if any (a re-run turn answers with it)."""
        ...

    async def latest_reply(self, key: ConversationKey) -> Outbound | None:
        """The newest reply stored in a conversation (to continue a pending question)."""
        ...


class MessageHistory(Protocol):
    """A conversation's stored messages, for a model's context."""

    async def messages(self, key: ConversationKey, *, limit: int) -> Sequence[StoredMessage]:
        """The newest ``limit`` messages of a conversation, oldest first."""
        ...


class TurnLedger(Protocol):
    """The writes of one turn, in one transaction."""

    async def record_turn(self, inbound: Inbound, outbound: Outbound, trace: Trace) -> None:
        """Store the conversation, the person's message, the pending reply and the trace,
        atomically and idempotently (per trace id)."""
        ...


class ConversationLocks(Protocol):
    """One turn at a time per thread, across every process that shares the database."""

    def hold(self, key: ConversationKey) -> AbstractAsyncContextManager[None]:
        """Exclusive use of the conversation for one turn; waits while another turn has it."""
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


class ApprovalsView(Protocol):
    """How the requests waiting on a person are shown (the Slack edge words it)."""

    def pending(self, approvals: Sequence[Approval]) -> Reply:
        """The reply listing ``approvals`` (none: say that nothing is waiting)."""
        ...


class ViewContexts(Protocol):
    """What each person views in Slack while the agent is open beside it (Slack reports it
    with ``app_context_changed`` and the assistant thread events)."""

    async def record(
        self, *, team_id: str, user_id: str, channel_id: str | None, at: datetime
    ) -> None:
        """``user_id`` now views ``channel_id`` (None: nothing in particular)."""
        ...

    async def viewing(self, *, team_id: str, user_id: str) -> str | None:
        """The channel ``user_id`` views now, if Slack said."""
        ...


class ReadTools(Protocol):
    """Runs a read for a turn and waits for its result (``agents.actions.reads.TurnReads``)."""

    async def run(self, request: ReadRequest, *, wait: float) -> ReadResult:
        """Ask for the read as its person for its agent (checked against the agent's
        scope); its result within ``wait`` seconds."""
        ...
