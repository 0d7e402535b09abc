"""The decorators that feed the metrics, taken at seams that already exist: the turn ledger
sees every finished turn with its trace, the usage store every model call, the approval
notifier every transition, executors every run; the domain carries no instrumentation."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import KW_ONLY, dataclass
from datetime import datetime
from typing import Generic, Protocol, TypeVar

from agents.actions.approval import Approval
from agents.actions.execution import ExecutionRequest, ExecutionResult, Executor
from agents.actions.ports import ApprovalNews, ApprovalNotifier
from agents.kernel.models import Inbound, Outbound, Trace
from agents.llm.chat import ChatModel, ChatRequest, Completion, TextSink
from agents.llm.usage import SpendQuery, UsageRecord, UsageStore
from agents.turns.ports import TurnLedger
from bot.alerts import Alerter
from bot.integrations.llm.decorator import ChatModelDecorator
from bot.metrics import Metrics
from handlers.ports import ReplyLedger

__all__ = [
    "Ledger",
    "MeteredChatModel",
    "MeteredExecutor",
    "MeteredLedger",
    "MeteredNotifier",
    "MeteredUsage",
    "metered_executors",
]


class MeteredChatModel(ChatModelDecorator):
    """A ``ChatModel`` whose calls are timed by provider, model and outcome."""

    def __init__(self, inner: ChatModel, metrics: Metrics) -> None:
        super().__init__(inner)
        self._metrics = metrics

    async def complete(
        self, request: ChatRequest, *, on_text: TextSink | None = None
    ) -> Completion:
        """Call the model and record how long it took and whether it answered."""
        started = time.monotonic()
        outcome = "error"
        try:
            completion = await self._inner.complete(request, on_text=on_text)
            outcome = "ok"
            return completion
        finally:
            self._metrics.llm_seconds.labels(self._inner.name, request.model, outcome).observe(
                time.monotonic() - started
            )


_Inner = TypeVar("_Inner")


class Ledger(TurnLedger, ReplyLedger, Protocol):
    """The turn's writes: the domain records a turn, the edge completes it."""


@dataclass(frozen=True, slots=True)
class _Metered(Generic[_Inner]):
    """A decorator around ``inner`` that counts into ``metrics`` (and tells the alerter)."""

    inner: _Inner
    metrics: Metrics
    _: KW_ONLY
    alerter: Alerter | None = None


@dataclass(frozen=True, slots=True)
class MeteredLedger(_Metered[Ledger]):
    """A ``Ledger`` that counts every recorded turn (and tells the alerter)."""

    async def record_turn(self, inbound: Inbound, outbound: Outbound, trace: Trace) -> None:
        """Record, then count (a failed write counts nothing)."""
        await self.inner.record_turn(inbound, outbound, trace)
        self.metrics.turn(trace)
        if self.alerter is not None:
            self.alerter.turn(trace)

    async def complete_turn(self, inbound: Inbound, *, ts: str, now: datetime) -> None:
        """Pass through."""
        await self.inner.complete_turn(inbound, ts=ts, now=now)


class MeteredUsage:
    """A ``UsageStore`` that counts tokens and cost per provider and model."""

    def __init__(self, inner: UsageStore, metrics: Metrics) -> None:
        self._inner = inner
        self._metrics = metrics

    async def record(self, usage: UsageRecord) -> None:
        """Store, then count."""
        await self._inner.record(usage)
        m = self._metrics
        m.llm_tokens.labels(usage.provider, usage.model, "input").inc(usage.input_tokens)
        m.llm_tokens.labels(usage.provider, usage.model, "output").inc(usage.output_tokens)
        m.llm_cost.labels(usage.provider, usage.model).inc(usage.cost_micros / 1_000_000)

    async def spent(self, query: SpendQuery) -> int:
        """Pass through (the budgets' sums)."""
        return await self._inner.spent(query)


@dataclass(frozen=True, slots=True)
class MeteredNotifier(_Metered[ApprovalNotifier]):
    """An ``ApprovalNotifier`` that counts approvals by state and times approvals."""

    async def approval_changed(self, approval: Approval, *, news: ApprovalNews | None) -> None:
        """Count the state reached, then notify."""
        self.metrics.approvals.labels(approval.action, approval.state).inc()
        if self.alerter is not None:
            self.alerter.approval(approval, news)
        if approval.state == "approved" and approval.quorum > 0 and approval.updated_at:
            waited = (approval.updated_at - approval.created_at).total_seconds()
            self.metrics.approval_seconds.labels(approval.action).observe(max(waited, 0.0))
        await self.inner.approval_changed(approval, news=news)

    async def escalate(self, approval: Approval, *, channel_id: str) -> None:
        """Pass through."""
        await self.inner.escalate(approval, channel_id=channel_id)


class MeteredExecutor:
    """An ``Executor`` that counts runs by outcome and times them, and tells the alerter of
    outcomes and of its target's breaker changing state."""

    def __init__(
        self,
        inner: Executor,
        metrics: Metrics,
        *,
        action: str,
        alerter: Alerter | None = None,
    ) -> None:
        self._inner = inner
        self._metrics = metrics
        self._action = action
        self._alerter = alerter
        from bot.integrations.executors.breaker import BreakerExecutor  # built with executors

        self._breaker = inner.breaker if isinstance(inner, BreakerExecutor) else None

    async def run(self, request: ExecutionRequest) -> ExecutionResult:
        """Run, then count (an exception counts as ``failed``)."""
        timer = self._metrics.tool_seconds.labels(self._action).time()
        before = self._breaker.state if self._breaker is not None else ""
        outcome = "failed"
        try:
            with timer:
                result = await self._inner.run(request)
            outcome = "circuit_open" if result.circuit_open else result.outcome
            return result
        finally:
            self._metrics.tool_runs.labels(self._action, outcome).inc()
            if self._alerter is not None:
                self._alerter.execution(self._action, outcome)
                if self._breaker is not None:
                    after = self._breaker.state
                    self._alerter.breaker(self._breaker.target, before=before, after=after)


def metered_executors(
    executors: Mapping[str, Executor], metrics: Metrics, *, alerter: Alerter | None = None
) -> dict[str, Executor]:
    """Each executor wrapped in a :class:`MeteredExecutor`."""
    return {
        name: MeteredExecutor(e, metrics, action=name, alerter=alerter)
        for name, e in executors.items()
    }
