"""Feedback on answers, the review queue, and KPIs per agent.

Every answer carries 👍 / 👎 buttons; a vote is stored against the turn's trace id, one per
person per answer (a new vote replaces the old). A rejected approval counts as a 👎 on the
turn that proposed the action. Reviewers (named in the config file) see the 👎s and
rejections in a queue, label them and promote the ones worth keeping into the evaluation set.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, get_args

from agents.kernel.models import StoredMessage, Trace

__all__ = [
    "REASON_TITLES",
    "AgentKpis",
    "ApprovalOutcome",
    "Feedback",
    "FeedbackReason",
    "ReviewCase",
    "ReviewItem",
    "ReviewLabel",
    "ReviewSettings",
    "Reviewers",
    "Vote",
    "median_seconds",
    "parse_label",
    "parse_reason",
]

Vote = Literal["up", "down"]
FeedbackReason = Literal["wrong_agent", "wrong_answer", "wrong_action", "too_slow", "other"]
ReviewLabel = Literal["bug", "docs_gap", "routing", "expected"]
ItemKind = Literal["feedback", "rejection", "flag"]

REASON_TITLES: dict[FeedbackReason, str] = {
    "wrong_agent": "Wrong agent",
    "wrong_answer": "Wrong answer",
    "wrong_action": "Wrong action proposed",
    "too_slow": "Too slow",
    "other": "Other",
}
"""What a 👎 can say went wrong, as shown in the feedback form."""

_REASONS: tuple[FeedbackReason, ...] = get_args(FeedbackReason)
LABELS: tuple[ReviewLabel, ...] = get_args(ReviewLabel)


def parse_reason(value: str | None) -> FeedbackReason | None:
    """The reason named ``value``, or None for anything else."""
    return next((reason for reason in _REASONS if reason == value), None)


def parse_label(value: str) -> ReviewLabel | None:
    """The review label named ``value`` (``docs-gap`` is accepted for ``docs_gap``)."""
    wanted = value.strip().lower().replace("-", "_")
    for label in LABELS:
        if label == wanted:
            return label
    return None


@dataclass(frozen=True, slots=True)
class Feedback:
    """One person's vote on one answer.

    Attributes:
        reason, comment, expected: what went wrong, in the person's words, and the answer
            they expected (a 👎's form; empty for a 👍 or an unsubmitted form).
    """

    trace_id: str
    team_id: str
    user_id: str
    vote: Vote
    at: datetime
    reason: FeedbackReason | None = None
    comment: str = ""
    expected: str = ""


@dataclass(frozen=True, slots=True)
class ReviewItem:
    """A 👎, a rejected approval or a flagged turn waiting for (or given) a reviewer's label.

    A ``flag`` is a turn Switchboard itself flagged: its model's answer claimed an action,
    an approval or a result the turn's records do not show (the answer was marked).

    Attributes:
        by: who voted 👎 or rejected the action (``""`` for a flag).
        comment: the 👎's free text, the rejection's reason, or the flagged answer as posted.
        action: for a rejection, the action that was rejected.
        thread_ts: the thread the answer is in (``""``: the channel's top level).
        message_ts: the answer's own message, when it was posted.
    """

    trace_id: str
    kind: ItemKind
    team_id: str
    channel_id: str
    agent: str
    by: str
    at: datetime
    reason: FeedbackReason | None = None
    comment: str = ""
    expected: str = ""
    action: str = ""
    thread_ts: str = ""
    message_ts: str = ""
    label: ReviewLabel | None = None
    promoted: bool = False


@dataclass(frozen=True, slots=True)
class ApprovalOutcome:
    """What a turn's approval request asked for (for an evaluation case's expectation)."""

    action: str
    params: dict[str, str]
    required: bool


@dataclass(frozen=True, slots=True)
class ReviewCase:
    """Everything needed to turn a reviewed turn into an evaluation case.

    Attributes:
        question: the person's message that started the turn.
        answer: the reply as stored.
        context: the thread's earlier messages, oldest first.
        approval: the approval the turn requested, if any.
        expected: the answer a person said they expected (latest 👎 form that gave one).
        corrections: what a reviewer said the turn should have done, by case field.
        reasons: what 👎 forms said went wrong (``wrong_agent``...).
    """

    trace: Trace
    question: str
    answer: str
    context: tuple[StoredMessage, ...]
    approval: ApprovalOutcome | None
    expected: str
    label: ReviewLabel | None
    promoted: bool
    thread_ts: str = ""
    corrections: Mapping[str, object] = field(default_factory=dict)
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class AgentKpis:
    """One agent's numbers over a window.

    Attributes:
        turns: turns routed to the agent.
        up, down: 👍 and 👎 votes on its answers (``down`` does not include rejections).
        fallbacks: turns answered by a lesser path: the router found no agent (``fallback``)
            or the planner degraded (provider down, budget spent...).
        errors: turns whose agent failed (``agent_error``).
        requested, approved, rejected, expired: approval requests its turns made (actions
            that needed a human) and how they ended; approved counts every state after it.
        approval_seconds: seconds from request to approval, one per approved request.
        cost_micros: model cost (1 USD = 1,000,000).
    """

    agent: str
    turns: int = 0
    up: int = 0
    down: int = 0
    fallbacks: int = 0
    errors: int = 0
    requested: int = 0
    approved: int = 0
    rejected: int = 0
    expired: int = 0
    approval_seconds: tuple[float, ...] = field(default=())
    cost_micros: int = 0

    @property
    def up_rate(self) -> float | None:
        """👍 / (👍 + 👎 + rejections); None when nobody voted."""
        votes = self.up + self.down + self.rejected
        return None if votes == 0 else self.up / votes

    @property
    def negative(self) -> int:
        """👎 votes plus rejected approvals: every "this was wrong"."""
        return self.down + self.rejected

    @property
    def fallback_rate(self) -> float | None:
        """Share of turns that fell back; None without turns."""
        return None if self.turns == 0 else self.fallbacks / self.turns

    @property
    def error_rate(self) -> float | None:
        """Share of turns whose agent failed; None without turns."""
        return None if self.turns == 0 else self.errors / self.turns

    @property
    def median_approval_seconds(self) -> float | None:
        """The median time to approval; None when nothing was approved."""
        return median_seconds(self.approval_seconds)


def median_seconds(values: Sequence[float]) -> float | None:
    """The median of ``values``, or None for none."""
    return statistics.median(values) if values else None


@dataclass(frozen=True, slots=True)
class Reviewers:
    """Who may see KPIs and the review queue, label and promote: users and user groups."""

    users: frozenset[str] = frozenset()
    groups: frozenset[str] = frozenset()

    def includes(self, user_id: str, groups: frozenset[str]) -> bool:
        """Whether a person (with the configured groups they belong to) is a reviewer."""
        return user_id in self.users or bool(groups & self.groups)


@dataclass(frozen=True, slots=True)
class ReviewSettings:
    """The ``review:`` section: who reviews, the KPI window and the App Home queue's size."""

    reviewers: Reviewers = Reviewers()
    window_days: int = 7
    queue_size: int = 10
