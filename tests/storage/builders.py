"""Domain values for storage tests, with defaults so each test names only what it checks."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from agents.actions.approval import Approval, ApprovalEvent, EditParams, Refusal, transition
from agents.actions.canonical import CanonicalAction
from agents.actions.jobs import AuditEntry, AuditKind
from agents.kernel.models import Inbound, Outbound, Reply, ReplyItem, Trace

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


def canonical(params: Mapping[str, str | int | bool], *, action: str = "deploy") -> CanonicalAction:
    """The canonical action of ``action`` POSTing ``params`` to the deploy API."""
    target = {"method": "POST", "url": "https://deploy.example/deploys", "body": dict(params)}
    return CanonicalAction(action, "http", target, dict(params))


def edit(editor: str, params: Mapping[str, str | int | bool]) -> EditParams:
    """An edit of a deploy request to ``params``."""
    return EditParams(editor, canonical(params))


_PARAMS: Mapping[str, str | int | bool] = {
    "service": "api",
    "env": "prod",
    "replicas": 3,
    "dry_run": False,
}


def approval(n: int = 1, **changes: Any) -> Approval:
    """A pending request by U1 to deploy, created ``n`` seconds after ``T0``, open an hour."""
    value = Approval(
        id=f"approval-{n}",
        token=f"token-{n}",
        action="deploy",
        params=dict(_PARAMS),
        canonical=canonical(_PARAMS),
        requester="U1",
        team_id="T1",
        channel_id="C1",
        thread_ts="1700000000.000001",
        trace_id=f"trace-{n}",
        idempotency_key=f"idem-{n}",
        quorum=1,
        self_approval=False,
        created_at=at(n),
        expires_at=at(n + 3600),
    )
    return replace(value, **changes)


def entry(kind: AuditKind, subject: Approval, *, actor: str = "U1", **changes: Any) -> AuditEntry:
    """An audit entry about ``subject``, at its last change (or its creation)."""
    value = AuditEntry(
        at=subject.updated_at or subject.created_at,
        actor=actor,
        kind=kind,
        action=subject.action,
        approval_id=subject.id,
        trace_id=subject.trace_id,
        details={"state": subject.state},
    )
    return replace(value, **changes)


def step(before: Approval, event: ApprovalEvent, *, seconds: float) -> Approval:
    """The domain's transition of ``before`` by ``event`` at ``at(seconds)``; never a refusal."""
    after = transition(before, event, now=at(seconds))
    if isinstance(after, Refusal):
        raise AssertionError(f"refused: {after.reason}")
    return after
