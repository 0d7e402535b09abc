"""KPIs per agent, from what every turn already stores (traces, votes, approvals, the audit log).

There is nothing extra to keep in step: a window is three grouped queries, each giving some of
an agent's numbers.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, case, func, select
from sqlalchemy.engine import Connection

from agents.feedback.values import AgentKpis
from agents.turns.grounding import UNGROUNDED_CLAIM
from storage.tables import approvals, audit_log, feedback, traces

__all__ = ["kpis_on"]

_NOT_APPROVED = ("pending", "rejected", "expired", "cancelled")

_Numbers = Iterator[tuple[str, dict[str, Any]]]
"""Some of the KPIs of each agent: its name and the values of those fields."""


def kpis_on(
    connection: Connection, since: datetime, team_id: str | None, agent: str | None
) -> list[AgentKpis]:
    """Each agent's KPIs for turns started (and requests made) since ``since``, by name."""
    scope = _scope(team_id, agent, since)
    found: dict[str, AgentKpis] = {}
    for numbers in (
        _turns(connection, scope),
        _votes(connection, scope),
        _approvals(connection, since, team_id, agent),
    ):
        for name, values in numbers:
            found[name] = replace(found.get(name) or AgentKpis(name), **values)
    return [found[name] for name in sorted(found)]


def _scope(team_id: str | None, agent: str | None, since: datetime) -> list[ColumnElement[bool]]:
    where = [traces.c.started_at >= since]
    if team_id is not None:
        where.append(traces.c.team_id == team_id)
    if agent is not None:
        where.append(traces.c.agent == agent)
    return where


def _turns(connection: Connection, scope: list[ColumnElement[bool]]) -> _Numbers:
    degraded = traces.c.degraded.is_not(None) & (traces.c.degraded != UNGROUNDED_CLAIM)
    fell_back = (traces.c.route_reason == "fallback") | degraded  # a marked claim is no fallback
    turns = select(
        traces.c.agent,
        func.count(),
        func.sum(case((fell_back, 1), else_=0)),
        func.sum(case((traces.c.outcome == "agent_error", 1), else_=0)),
        func.sum(traces.c.cost_micros),
    ).where(*scope)
    for name, count, fallbacks, errors, cost in connection.execute(turns.group_by(traces.c.agent)):
        yield (
            name,
            {
                "turns": count,
                "fallbacks": int(fallbacks or 0),
                "errors": int(errors or 0),
                "cost_micros": int(cost or 0),
            },
        )


def _votes(connection: Connection, scope: list[ColumnElement[bool]]) -> _Numbers:
    votes = (
        select(traces.c.agent, feedback.c.vote, func.count())
        .join(traces, traces.c.trace_id == feedback.c.trace_id)
        .where(*scope)
        .group_by(traces.c.agent, feedback.c.vote)
    )
    for name, vote, count in connection.execute(votes):
        yield name, {"up": count} if vote == "up" else {"down": count}


def _approvals(
    connection: Connection, since: datetime, team_id: str | None, agent: str | None
) -> _Numbers:
    tallies: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"requested": 0, "approved": 0, "rejected": 0, "expired": 0, "seconds": []}
    )
    for name, state, created_at, decided_at in connection.execute(_requests(since, team_id, agent)):
        tally = tallies[name]
        tally["requested"] += 1
        if state in ("rejected", "expired"):
            tally[state] += 1
        elif state not in _NOT_APPROVED:
            tally["approved"] += 1
            if decided_at is not None:
                tally["seconds"].append((_utc(decided_at) - _utc(created_at)).total_seconds())
    for name, tally in tallies.items():
        seconds = tuple(tally.pop("seconds"))
        yield name, {**tally, "approval_seconds": seconds}


def _requests(since: datetime, team_id: str | None, agent: str | None) -> Select[Any]:
    """The approvals requested since ``since``: agent, state, when asked, when first approved."""
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
    return requests


def _utc(value: datetime) -> datetime:
    # Aggregates (min) on SQLite come back as text-parsed naive datetimes: they are UTC.
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
