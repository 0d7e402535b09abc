"""The ``FeedbackStore`` on SQL: votes and review labels, and the reads over them.

The review queue, evaluation cases and KPIs are read by :mod:`~storage.feedback.queue`,
:mod:`~storage.feedback.cases` and :mod:`~storage.feedback.kpis`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, select

from agents.feedback.ports import FeedbackStore, Promotion
from agents.feedback.values import (
    AgentKpis,
    Feedback,
    ReviewCase,
    ReviewItem,
    ReviewLabel,
    parse_reason,
)
from storage._records import from_row, row_values
from storage._seam import SqlStore, execute, fetch_all, insert, narrow, translated
from storage.feedback.cases import cases_on
from storage.feedback.kpis import kpis_on
from storage.feedback.queue import queue_on
from storage.tables import feedback, reviews, traces

__all__ = ["SqlFeedbackStore"]

_REPLACED = ("vote", "reason", "comment", "expected", "at")


class SqlFeedbackStore(SqlStore, FeedbackStore):
    """``FeedbackStore`` on SQL."""

    async def vote(self, vote: Feedback) -> None:
        """Insert the vote, or replace the person's earlier vote on the same answer."""
        statement = insert(self._db.dialect, feedback).values(**row_values(vote))
        statement = statement.on_conflict_do_update(
            index_elements=[feedback.c.trace_id, feedback.c.user_id],
            set_={k: statement.excluded[k] for k in _REPLACED},
        )
        await execute(self._db.write, statement, action="store feedback")

    async def votes(self, trace_id: str) -> Sequence[Feedback]:
        """Every vote on one answer, oldest first."""
        statement = select(feedback).where(feedback.c.trace_id == trace_id).order_by(feedback.c.at)
        rows = await fetch_all(self._db.read, statement, action="read feedback")
        return [_feedback(row) for row in rows]

    async def queue(
        self, *, team_id: str | None, since: datetime, limit: int, unlabelled: bool = False
    ) -> Sequence[ReviewItem]:
        """👎 votes and rejected approvals since ``since``, newest first."""
        with translated("read the review queue"):
            async with self._db.read.connect() as connection:
                return await connection.run_sync(queue_on, team_id, since, limit, unlabelled)

    async def label(self, trace_id: str, label: ReviewLabel, *, by: str, at: datetime) -> bool:
        """Label a turn (replacing an earlier label); False if no such turn."""
        values = {"label": label, "labelled_by": by, "labelled_at": at}
        return await self._review(trace_id, values, "label a turn")

    async def promote(self, promotion: Promotion) -> bool:
        """Add a turn to the evaluation set (with the reviewer's corrections of what it should
        have done, replacing earlier ones when given); False if no such turn."""
        values: dict[str, Any] = {"promoted_by": promotion.by, "promoted_at": promotion.at}
        if promotion.expected is not None:
            values["expected_json"] = dict(promotion.expected)
        return await self._review(promotion.trace_id, values, "promote a turn")

    async def _review(self, trace_id: str, values: dict[str, Any], action: str) -> bool:
        statement = insert(self._db.dialect, reviews).values(trace_id=trace_id, **values)
        statement = statement.on_conflict_do_update(
            index_elements=[reviews.c.trace_id], set_=values
        )
        exists = select(traces.c.trace_id).where(traces.c.trace_id == trace_id)
        with translated(action):
            async with self._db.write.begin() as connection:
                if (await connection.execute(exists)).first() is None:
                    return False
                await connection.execute(statement)
        return True

    async def case(self, trace_id: str) -> ReviewCase | None:
        """A turn with what an evaluation case needs, or None if no such turn."""
        with translated("read a reviewed turn"):
            async with self._db.read.connect() as connection:
                found = await connection.run_sync(cases_on, [trace_id])
        return found[0] if found else None

    async def promoted(self, *, team_id: str | None = None) -> Sequence[ReviewCase]:
        """Every turn promoted to the evaluation set, oldest promotion first."""
        statement = (
            select(reviews.c.trace_id)
            .join(traces, traces.c.trace_id == reviews.c.trace_id)
            .where(reviews.c.promoted_at.is_not(None))
            .order_by(reviews.c.promoted_at, reviews.c.trace_id)
        )
        if team_id is not None:
            statement = statement.where(traces.c.team_id == team_id)
        with translated("read the evaluation set"):
            async with self._db.read.connect() as connection:
                ids = list((await connection.execute(statement)).scalars())
                return await connection.run_sync(cases_on, ids)

    async def kpis(
        self, *, since: datetime, team_id: str | None = None, agent: str | None = None
    ) -> Sequence[AgentKpis]:
        """Each agent's KPIs for turns started (and requests made) since ``since``."""
        with translated("compute KPIs"):
            async with self._db.read.connect() as connection:
                return await connection.run_sync(kpis_on, since, team_id, agent)


def _feedback(row: Row[Any]) -> Feedback:
    vote = narrow(row.vote, ("up", "down"), column="feedback.vote")
    return from_row(Feedback, row, vote=vote, reason=parse_reason(row.reason))
