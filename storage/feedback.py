"""Votes, review labels, the review queue and KPIs per agent (see :mod:`agents.feedback.values`).

KPIs are computed from what every turn already stores (traces, approvals, the audit log), so
there is nothing extra to keep in step: a window is three grouped queries.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, delete, func, select
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from agents.feedback.ports import FeedbackStore
from agents.feedback.values import (
    AgentKpis,
    ApprovalOutcome,
    Feedback,
    ReviewCase,
    ReviewItem,
    ReviewLabel,
    parse_label,
    parse_reason,
)
from agents.kernel.models import StoredMessage
from storage._seam import insert, narrow, translated
from storage.engine import views
from storage.tables import (
    approvals,
    audit_log,
    conversations,
    feedback,
    messages,
    reviews,
    traces,
)
from storage.traces import trace_from_row

__all__ = ["SqlFeedbackStore"]

_CONTEXT_MESSAGES = 20
"""At most this many earlier messages of the thread go into an evaluation case."""
_REPLACED = ("vote", "reason", "comment", "expected", "at")
_NOT_APPROVED = ("pending", "rejected", "expired", "cancelled")


class SqlFeedbackStore(FeedbackStore):
    """``FeedbackStore`` on SQL."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._db = views(engine)

    async def vote(self, vote: Feedback) -> None:
        """Insert the vote, or replace the person's earlier vote on the same answer."""
        values = {
            "trace_id": vote.trace_id,
            "team_id": vote.team_id,
            "user_id": vote.user_id,
            "vote": vote.vote,
            "reason": vote.reason,
            "comment": vote.comment,
            "expected": vote.expected,
            "at": vote.at,
        }
        statement = insert(self._db.dialect, feedback).values(**values)
        statement = statement.on_conflict_do_update(
            index_elements=[feedback.c.trace_id, feedback.c.user_id],
            set_={k: statement.excluded[k] for k in _REPLACED},
        )
        with translated("store feedback"):
            async with self._db.write.begin() as connection:
                await connection.execute(statement)

    async def forget_user(self, *, team_id: str | None, user_id: str) -> int:
        """Delete every vote (and the words of its form) a person gave; returns how many."""
        statement = delete(feedback).where(feedback.c.user_id == user_id)
        if team_id is not None:
            statement = statement.where(feedback.c.team_id == team_id)
        with translated("forget a person's feedback"):
            async with self._db.write.begin() as connection:
                return int((await connection.execute(statement)).rowcount or 0)

    async def votes(self, trace_id: str) -> Sequence[Feedback]:
        """Every vote on one answer, oldest first."""
        statement = select(feedback).where(feedback.c.trace_id == trace_id).order_by(feedback.c.at)
        with translated("read feedback"):
            async with self._db.read.connect() as connection:
                return [_feedback(row) for row in await connection.execute(statement)]

    async def queue(
        self, *, team_id: str | None, since: datetime, limit: int, unlabelled: bool = False
    ) -> Sequence[ReviewItem]:
        """👎 votes and rejected approvals since ``since``, newest first."""
        with translated("read the review queue"):
            async with self._db.read.connect() as connection:
                return await connection.run_sync(_queue, team_id, since, limit, unlabelled)

    async def label(self, trace_id: str, label: ReviewLabel, *, by: str, at: datetime) -> bool:
        """Label a turn (replacing an earlier label); False if no such turn."""
        values = {"label": label, "labelled_by": by, "labelled_at": at}
        return await self._review(trace_id, values, "label a turn")

    async def promote(
        self,
        trace_id: str,
        *,
        by: str,
        at: datetime,
        expected: Mapping[str, object] | None = None,
    ) -> bool:
        """Add a turn to the evaluation set (with the reviewer's corrections of what it should
        have done, replacing earlier ones when given); False if no such turn."""
        values: dict[str, Any] = {"promoted_by": by, "promoted_at": at}
        if expected is not None:
            values["expected_json"] = dict(expected)
        return await self._review(trace_id, values, "promote a turn")

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
                found = await connection.run_sync(_cases, [trace_id])
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
                return await connection.run_sync(_cases, ids)

    async def kpis(
        self, *, since: datetime, team_id: str | None = None, agent: str | None = None
    ) -> Sequence[AgentKpis]:
        """Each agent's KPIs for turns started (and requests made) since ``since``."""
        with translated("compute KPIs"):
            async with self._db.read.connect() as connection:
                return await connection.run_sync(_kpis, since, team_id, agent)


def _feedback(row: Any) -> Feedback:
    return Feedback(
        trace_id=row.trace_id,
        team_id=row.team_id,
        user_id=row.user_id,
        vote=narrow(row.vote, ("up", "down"), column="feedback.vote"),
        at=row.at,
        reason=parse_reason(row.reason),
        comment=row.comment,
        expected=row.expected,
    )


def _scope(team_id: str | None, agent: str | None, since: datetime) -> list[ColumnElement[bool]]:
    where = [traces.c.started_at >= since]
    if team_id is not None:
        where.append(traces.c.team_id == team_id)
    if agent is not None:
        where.append(traces.c.agent == agent)
    return where


def _kpis(
    connection: Connection, since: datetime, team_id: str | None, agent: str | None
) -> list[AgentKpis]:
    found: dict[str, AgentKpis] = {}

    def of(name: str) -> AgentKpis:
        return found.setdefault(name, AgentKpis(name))

    fell_back = (traces.c.route_reason == "fallback") | traces.c.degraded.is_not(None)
    turns = select(
        traces.c.agent,
        func.count(),
        func.sum(case((fell_back, 1), else_=0)),
        func.sum(case((traces.c.outcome == "agent_error", 1), else_=0)),
        func.sum(traces.c.cost_micros),
    ).where(*_scope(team_id, agent, since))
    for name, count, fallbacks, errors, cost in connection.execute(turns.group_by(traces.c.agent)):
        found[name] = replace(
            of(name),
            turns=count,
            fallbacks=int(fallbacks or 0),
            errors=int(errors or 0),
            cost_micros=int(cost or 0),
        )
    votes = (
        select(traces.c.agent, feedback.c.vote, func.count())
        .join(traces, traces.c.trace_id == feedback.c.trace_id)
        .where(*_scope(team_id, agent, since))
        .group_by(traces.c.agent, feedback.c.vote)
    )
    for name, vote, count in connection.execute(votes):
        kpi = of(name)
        found[name] = replace(kpi, up=count) if vote == "up" else replace(kpi, down=count)
    approved_at = (
        select(audit_log.c.approval_id, func.min(audit_log.c.at).label("at"))
        .where(audit_log.c.kind == "approved")
        .group_by(audit_log.c.approval_id)
        .subquery()
    )
    requests = (
        select(traces.c.agent, approvals.c.state, approvals.c.created_at, approved_at.c.at)
        .join(traces, traces.c.trace_id == approvals.c.trace_id)
        .outerjoin(approved_at, approved_at.c.approval_id == approvals.c.id)
        .where(approvals.c.quorum > 0, approvals.c.created_at >= since)
    )
    if team_id is not None:
        requests = requests.where(approvals.c.team_id == team_id)
    if agent is not None:
        requests = requests.where(traces.c.agent == agent)
    tallies: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"requested": 0, "approved": 0, "rejected": 0, "expired": 0, "seconds": []}
    )
    for name, state, created_at, decided_at in connection.execute(requests):
        tally = tallies[name]
        tally["requested"] += 1
        if state in ("rejected", "expired"):
            tally[state] += 1
        elif state not in _NOT_APPROVED:
            tally["approved"] += 1
            if decided_at is not None:
                tally["seconds"].append((_utc(decided_at) - _utc(created_at)).total_seconds())
    for name, tally in tallies.items():
        found[name] = replace(
            of(name),
            requested=tally["requested"],
            approved=tally["approved"],
            rejected=tally["rejected"],
            expired=tally["expired"],
            approval_seconds=tuple(tally["seconds"]),
        )
    return [found[name] for name in sorted(found)]


def _utc(value: datetime) -> datetime:
    # Aggregates (min) on SQLite come back as text-parsed naive datetimes: they are UTC.
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _queue(
    connection: Connection, team_id: str | None, since: datetime, limit: int, unlabelled: bool
) -> list[ReviewItem]:
    reply = messages.alias("reply")
    downs = (
        select(
            feedback,
            traces.c.agent,
            traces.c.channel_id,
            conversations.c.thread_ts,
            reply.c.ts.label("message_ts"),
            reviews.c.label,
            reviews.c.promoted_at,
        )
        .join(traces, traces.c.trace_id == feedback.c.trace_id)
        .outerjoin(reply, and_(reply.c.trace_id == feedback.c.trace_id, reply.c.direction == "out"))
        .outerjoin(conversations, conversations.c.id == reply.c.conversation_id)
        .outerjoin(reviews, reviews.c.trace_id == feedback.c.trace_id)
        .where(feedback.c.vote == "down", feedback.c.at >= since)
        .order_by(feedback.c.at.desc())
        .limit(limit)
    )
    rejections = (
        select(
            approvals,
            traces.c.agent,
            reviews.c.label,
            reviews.c.promoted_at,
        )
        .outerjoin(traces, traces.c.trace_id == approvals.c.trace_id)
        .outerjoin(reviews, reviews.c.trace_id == approvals.c.trace_id)
        .where(approvals.c.state == "rejected", approvals.c.updated_at >= since)
        .order_by(approvals.c.updated_at.desc())
        .limit(limit)
    )
    if team_id is not None:
        downs = downs.where(feedback.c.team_id == team_id)
        rejections = rejections.where(approvals.c.team_id == team_id)
    if unlabelled:
        downs = downs.where(reviews.c.label.is_(None))
        rejections = rejections.where(reviews.c.label.is_(None))
    items = [
        ReviewItem(
            trace_id=row.trace_id,
            kind="feedback",
            team_id=row.team_id,
            channel_id=row.channel_id,
            agent=row.agent,
            by=row.user_id,
            at=row.at,
            reason=parse_reason(row.reason),
            comment=row.comment,
            expected=row.expected,
            thread_ts=row.thread_ts or "",
            message_ts=row.message_ts or "",
            label=parse_label(row.label) if row.label else None,
            promoted=row.promoted_at is not None,
        )
        for row in connection.execute(downs)
    ]
    items += [
        ReviewItem(
            trace_id=row.trace_id,
            kind="rejection",
            team_id=row.team_id,
            channel_id=row.channel_id,
            agent=row.agent or "",
            by=row.decided_by or "",
            at=row.updated_at or row.created_at,
            comment=row.reason or "",
            action=row.action,
            thread_ts=row.thread_ts or "",
            message_ts=row.message_ts or "",
            label=parse_label(row.label) if row.label else None,
            promoted=row.promoted_at is not None,
        )
        for row in connection.execute(rejections)
    ]
    items.sort(key=lambda item: item.at, reverse=True)
    return items[:limit]


def _cases(connection: Connection, trace_ids: Sequence[str]) -> list[ReviewCase]:
    found: list[ReviewCase] = []
    for trace_id in trace_ids:
        row = connection.execute(select(traces).where(traces.c.trace_id == trace_id)).first()
        if row is None:
            continue
        trace = trace_from_row(row)
        said = {
            m.direction: m
            for m in connection.execute(select(messages).where(messages.c.trace_id == trace_id))
        }
        question, answer = said.get("in"), said.get("out")
        anchor = question or answer
        context: tuple[StoredMessage, ...] = ()
        thread_ts = ""
        if anchor is not None:
            earlier = connection.execute(
                select(messages)
                .where(
                    messages.c.conversation_id == anchor.conversation_id,
                    messages.c.id < anchor.id,
                )
                .order_by(messages.c.id.desc())
                .limit(_CONTEXT_MESSAGES)
            ).all()
            context = tuple(
                StoredMessage(m.direction, m.user_id, m.text, m.trace_id, m.ts, m.created_at)
                for m in reversed(earlier)
            )
            thread_ts = (
                connection.execute(
                    select(conversations.c.thread_ts).where(
                        conversations.c.id == anchor.conversation_id
                    )
                ).scalar()
                or ""
            )
        request = connection.execute(
            select(approvals.c.action, approvals.c.params_json, approvals.c.quorum)
            .where(approvals.c.trace_id == trace_id)
            .order_by(approvals.c.created_at)
        ).first()
        approval = (
            None
            if request is None
            else ApprovalOutcome(
                action=request.action,
                params={k: str(v) for k, v in dict(request.params_json or {}).items()},
                required=request.quorum > 0,
            )
        )
        expected = connection.execute(
            select(feedback.c.expected)
            .where(feedback.c.trace_id == trace_id, feedback.c.expected != "")
            .order_by(feedback.c.at.desc())
        ).scalar()
        review = connection.execute(select(reviews).where(reviews.c.trace_id == trace_id)).first()
        found.append(
            ReviewCase(
                trace=trace,
                question=question.text if question is not None else "",
                answer=answer.text if answer is not None else "",
                context=context,
                approval=approval,
                expected=expected or "",
                label=parse_label(review.label) if review is not None and review.label else None,
                promoted=review is not None and review.promoted_at is not None,
                thread_ts=thread_ts,
                corrections=dict(review.expected_json or {}) if review is not None else {},
                reasons=tuple(
                    reason
                    for reason in connection.execute(
                        select(feedback.c.reason).where(
                            feedback.c.trace_id == trace_id, feedback.c.reason.is_not(None)
                        )
                    ).scalars()
                ),
            )
        )
    return found
