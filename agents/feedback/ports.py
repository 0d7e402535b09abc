"""The feedback capability's ports: votes, labels, the review queue and the KPIs; and the
turns' traces they are about."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from agents.feedback.values import AgentKpis, Feedback, ReviewCase, ReviewItem, ReviewLabel
from agents.kernel.models import Trace

__all__ = ["FeedbackStore", "Promotion", "TraceReader"]


@dataclass(frozen=True, slots=True)
class Promotion:
    """A turn added to the evaluation set by a reviewer.

    Attributes:
        by: the reviewer.
        expected: the reviewer's corrections of what the turn should have done (``agent``,
            ``action``, ``params``, ``approval_required``, ``answer``); None keeps earlier ones.
    """

    trace_id: str
    by: str
    at: datetime
    expected: Mapping[str, object] | None = None


class FeedbackStore(Protocol):
    """Votes, review labels, the review queue and the KPIs computed from stored turns."""

    async def vote(self, feedback: Feedback) -> None:
        """Store a vote, replacing the person's earlier vote on the same answer."""
        ...

    async def votes(self, trace_id: str) -> Sequence[Feedback]:
        """Every vote on one answer, oldest first."""
        ...

    async def queue(
        self, *, team_id: str | None, since: datetime, limit: int, unlabelled: bool = False
    ) -> Sequence[ReviewItem]:
        """👎 votes and rejected approvals since ``since``, newest first."""
        ...

    async def label(self, trace_id: str, label: ReviewLabel, *, by: str, at: datetime) -> bool:
        """Label a reviewed turn (replacing an earlier label); False if no such turn."""
        ...

    async def promote(self, promotion: Promotion) -> bool:
        """Add a turn to the evaluation set, with the reviewer's corrections (when given);
        False if no such turn."""
        ...

    async def case(self, trace_id: str) -> ReviewCase | None:
        """A turn with what an evaluation case needs, or None if no such turn."""
        ...

    async def promoted(self, *, team_id: str | None = None) -> Sequence[ReviewCase]:
        """Every turn promoted to the evaluation set, oldest promotion first."""
        ...

    async def kpis(
        self, *, since: datetime, team_id: str | None = None, agent: str | None = None
    ) -> Sequence[AgentKpis]:
        """Each agent's KPIs for turns started since ``since``, by agent name."""
        ...


class TraceReader(Protocol):
    """The turns' records, read back (a vote must be on an answer that exists)."""

    async def get(self, trace_id: str) -> Trace | None:
        """The trace with this id, if stored."""
        ...
