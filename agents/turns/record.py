"""The record of one turn: its trace (route, plan, timings, tokens, cost, tool calls) and
its one summary log line."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import structlog

from agents.kernel.models import Inbound, Trace
from agents.turns.pipeline import TurnState

__all__ = ["Timings", "log_summary", "trace_of"]

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class Timings:
    """When the turn started and how long its parts took, in milliseconds."""

    started_at: datetime
    route_ms: float
    agent_ms: float
    total_ms: float


def trace_of(
    inbound: Inbound,
    turn: TurnState,
    timings: Timings,
    *,
    error: str | None = None,
    stopped_by: str | None = None,
) -> Trace:
    """The trace of a finished turn (``stopped_by``: who pressed Stop, if it was stopped)."""
    route, plan = turn.route, turn.plan
    return Trace(
        trace_id=inbound.trace_id,
        team_id=inbound.team_id,
        channel_id=inbound.channel_id,
        user_id=inbound.user_id,
        event_id=inbound.event_id,
        source=inbound.source,
        agent=route.agent,
        route_reason=route.reason,
        route_score=route.score,
        outcome=turn.outcome,
        started_at=timings.started_at,
        route_ms=timings.route_ms,
        agent_ms=timings.agent_ms,
        total_ms=timings.total_ms,
        error=error,
        planner=plan.planner,
        provider=plan.provider,
        input_tokens=plan.input_tokens,
        output_tokens=plan.output_tokens,
        cost_micros=plan.cost_micros,
        degraded=plan.degraded,
        tool_calls=plan.tool_calls,
        stopped_by=stopped_by if turn.outcome == "stopped" else None,
    )


def log_summary(turn: TurnState, *, approval_id: str | None, total_ms: float) -> None:
    """The turn's one summary line: what it did and what it cost (delivery is logged by the
    runner as ``turn_completed``)."""
    route, plan = turn.route, turn.plan
    log.info(
        "turn_routed",
        agent=route.agent,
        route_reason=route.reason,
        route_score=route.score,
        outcome=turn.outcome,
        planner=plan.planner,
        degraded=plan.degraded,
        tool_calls=list(plan.tool_calls),
        approval_id=approval_id,
        total_ms=round(total_ms, 2),
        input_tokens=plan.input_tokens,
        output_tokens=plan.output_tokens,
        cost_micros=plan.cost_micros,
    )
