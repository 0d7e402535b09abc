"""The feedback loop's use cases: vote on an answer, explain a 👎, review, label, promote.

Every check is made here, server-side: a vote must be on an answer of the voter's own
workspace; only reviewers (``review.reviewers`` in the config file) see KPIs and the queue,
label and promote. Refusals are returned as text for the person, never raised.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import KW_ONLY, dataclass
from datetime import timedelta

import structlog

from agents.actions.approval import Approval
from agents.actions.operations import Operations
from agents.actions.ports import GroupDirectory
from agents.actions.spec import ActionSpec
from agents.feedback.ports import FeedbackStore, Promotion, TraceReader
from agents.feedback.values import (
    AgentKpis,
    Feedback,
    FeedbackReason,
    ReviewItem,
    ReviewLabel,
    ReviewSettings,
    Vote,
)
from agents.kernel.clock import Clock
from agents.kernel.models import Trace
from agents.kernel.redaction import redact

__all__ = ["MemberHome", "Review", "ReviewerHome"]

log = structlog.get_logger(__name__)

_TEXT_LIMIT = 2000
_NO_ANSWER = "That answer is no longer on record, so the feedback was not stored."
_NOT_REVIEWER = "Only reviewers can do that (`review.reviewers` in the config file)."


@dataclass(frozen=True, slots=True)
class ReviewerHome:
    """What a reviewer's App Home shows: KPIs per agent and the review queue."""

    window_days: int
    kpis: tuple[AgentKpis, ...]
    queue: tuple[ReviewItem, ...]


@dataclass(frozen=True, slots=True)
class MemberHome:
    """What anyone else's App Home shows: requests waiting on them or made by them, and the
    actions they may run."""

    pending: tuple[Approval, ...]
    runnable: tuple[ActionSpec, ...]


@dataclass(frozen=True, slots=True)
class Review:
    """Feedback, review and KPIs, with the permission checks.

    Attributes:
        settings: who reviews, the KPI window and the queue's size.
        operations: the actions capability, for a member's App Home (None: none shown).
        on_vote: told ``(agent, vote)`` of every stored vote (the bot counts them).
    """

    store: FeedbackStore
    traces: TraceReader
    _: KW_ONLY
    settings: ReviewSettings
    groups: GroupDirectory
    clock: Clock
    operations: Operations | None = None
    on_vote: Callable[[str, Vote], None] | None = None

    async def vote(self, *, trace_id: str, team_id: str, user_id: str, vote: Vote) -> str | None:
        """Store 👍 or 👎 on an answer (replacing the person's earlier vote); a refusal or None."""
        trace = await self._known(trace_id, team_id)
        if trace is None:
            return _NO_ANSWER
        await self.store.vote(Feedback(trace_id, team_id, user_id, vote, self.clock.now()))
        log.info("feedback_recorded", vote=vote, feedback_trace=trace_id)
        if self.on_vote is not None:
            self.on_vote(trace.agent, vote)
        return None

    async def explain(
        self,
        *,
        trace_id: str,
        team_id: str,
        user_id: str,
        reason: FeedbackReason | None,
        comment: str,
        expected: str,
    ) -> str | None:
        """Store a 👎 with what went wrong (free text redacted); a refusal or None."""
        if await self._known(trace_id, team_id) is None:
            return _NO_ANSWER
        feedback = Feedback(
            trace_id,
            team_id,
            user_id,
            "down",
            self.clock.now(),
            reason=reason,
            comment=redact(comment.strip())[:_TEXT_LIMIT],
            expected=redact(expected.strip())[:_TEXT_LIMIT],
        )
        await self.store.vote(feedback)
        log.info("feedback_explained", reason=reason, feedback_trace=trace_id)
        return None

    async def _known(self, trace_id: str, team_id: str) -> Trace | None:
        trace = await self.traces.get(trace_id) if trace_id else None
        return trace if trace is not None and trace.team_id == team_id else None

    async def is_reviewer(self, user_id: str) -> bool:
        """Whether ``user_id`` is a reviewer (by user id or configured user group)."""
        reviewers = self.settings.reviewers
        if user_id in reviewers.users:
            return True
        if not reviewers.groups:
            return False
        return reviewers.includes(user_id, await self.groups.groups_of(user_id))

    async def home(self, *, team_id: str, user_id: str) -> ReviewerHome | MemberHome:
        """The App Home of ``user_id``: the reviewer's view, or the member's."""
        if await self.is_reviewer(user_id):
            since = self.clock.now() - timedelta(days=self.settings.window_days)
            kpis = await self.store.kpis(since=since, team_id=team_id)
            queue = await self.store.queue(
                team_id=team_id, since=since, limit=self.settings.queue_size
            )
            return ReviewerHome(self.settings.window_days, tuple(kpis), tuple(queue))
        ops = self.operations
        if ops is None:
            return MemberHome((), ())
        person = await ops.catalog.person(user_id, None)
        pending = await ops.decisions.pending_for(person, team_id=team_id)
        return MemberHome(tuple(pending), ops.catalog.runnable_by(person))

    async def label(
        self, trace_id: str, label: ReviewLabel, *, team_id: str, user_id: str
    ) -> str | None:
        """Label a reviewed turn of ``team_id``, if ``user_id`` is a reviewer; a refusal or
        None (another workspace's turn is no turn here)."""
        if not await self.is_reviewer(user_id):
            return _NOT_REVIEWER
        if await self._known(trace_id, team_id) is None or not await self.store.label(
            trace_id, label, by=user_id, at=self.clock.now()
        ):
            return f"No turn with trace id {trace_id!r}."
        log.info("review_labelled", label=label, reviewed_trace=trace_id)
        return None

    async def promote(self, trace_id: str, *, team_id: str, user_id: str) -> str | None:
        """Add a turn of ``team_id`` to the evaluation set, if ``user_id`` is a reviewer; a
        refusal or None."""
        if not await self.is_reviewer(user_id):
            return _NOT_REVIEWER
        promotion = Promotion(trace_id, by=user_id, at=self.clock.now())
        if await self._known(trace_id, team_id) is None or not await self.store.promote(promotion):
            return f"No turn with trace id {trace_id!r}."
        log.info("review_promoted", reviewed_trace=trace_id)
        return None

    async def queue(self, *, team_id: str | None, days: int, limit: int) -> Sequence[ReviewItem]:
        """The review queue of the last ``days`` days (for the CLI: no permission check)."""
        since = self.clock.now() - timedelta(days=days)
        return await self.store.queue(team_id=team_id, since=since, limit=limit)
