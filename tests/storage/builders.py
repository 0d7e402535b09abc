"""Domain values for storage tests, with defaults so each test names only what it checks."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from agents.core.models import Inbound, Outbound, Reply, ReplyItem, Trace

T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    """``T0`` plus ``seconds``."""
    return T0 + timedelta(seconds=seconds)


def inbound(n: int = 1, **changes: Any) -> Inbound:
    """The ``n``-th message from a person, received ``n`` seconds after ``T0``."""
    value = Inbound(
        team_id="T1",
        channel_id="C1",
        user_id="U1",
        text=f"message {n}",
        source="mention",
        event_id=f"Ev{n}",
        trace_id=f"trace-{n}",
        received_at=at(n),
        ts=f"1700000000.{n:06d}",
        thread_ts="1700000000.000001",
    )
    return replace(value, **changes)


def outbound(n: int = 1, **changes: Any) -> Outbound:
    """The reply to ``inbound(n)``."""
    value = Outbound(
        trace_id=f"trace-{n}",
        team_id="T1",
        channel_id="C1",
        thread_ts="1700000000.000001",
        agent="ops",
        reply=Reply(
            text=f"reply {n}",
            title="Deploys",
            items=(ReplyItem("api", "v1.2 on prod"), ReplyItem("web", "v3.4 on staging")),
        ),
    )
    return replace(value, **changes)


def trace(trace_id: str = "trace-1", **changes: Any) -> Trace:
    """A finished turn's trace."""
    value = Trace(
        trace_id=trace_id,
        team_id="T1",
        channel_id="C1",
        user_id="U1",
        event_id="Ev1",
        source="mention",
        agent="ops",
        route_reason="keyword",
        route_score=0.5,
        outcome="replied",
        started_at=T0,
        route_ms=0.25,
        agent_ms=12.5,
        total_ms=13.0,
    )
    return replace(value, **changes)
