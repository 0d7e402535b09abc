"""Prometheus metrics: one registry per running bot, and the decorators that feed it.

Names follow Prometheus conventions (base units, ``_total`` counters). No label carries a
user, channel or thread id: only bounded sets (agent, planner, action, outcome, provider,
model, Slack method). Most metrics are taken at seams that already exist, so the domain stays
free of instrumentation: the turn ledger sees every finished turn with its trace, the usage
store every model call, the approval notifier every transition, executors every run.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import KW_ONLY, dataclass
from datetime import datetime
from types import SimpleNamespace
from typing import Protocol

import aiohttp
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from agents.actions.approval import Approval
from agents.actions.execution import ExecutionRequest, ExecutionResult, Executor
from agents.actions.ports import ApprovalNotifier
from agents.kernel.models import Inbound, Outbound, Trace
from agents.llm.chat import ChatModel, ChatRequest, Completion
from agents.llm.usage import UsageRecord, UsageStore
from agents.turns.ports import TurnLedger
from bot.alerts import Alerter
from bot.integrations.executors.breaker import BreakerExecutor
from bot.integrations.llm.decorator import ChatModelDecorator
from handlers.ports import ReplyLedger

__all__ = [
    "CONTENT_TYPE_LATEST",
    "MeteredChatModel",
    "MeteredExecutor",
    "MeteredLedger",
    "MeteredNotifier",
    "MeteredUsage",
    "Metrics",
    "metered_executors",
]

# Fast things (an ack, a Slack call) and slow ones (a turn with model calls) need their own
# buckets: LLM latencies reach tens of seconds.
_FAST = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
_LLM = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 30.0, 60.0, 120.0)
_APPROVAL = (10, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600, 86400)
_BREAKER_VALUE = {"closed": 0, "half_open": 1, "open": 2}


class _Declare:
    """Declares metrics on one registry (names, help texts, labels and buckets in one place)."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self._registry = registry

    def counter(self, name: str, doc: str, labels: Sequence[str] = ()) -> Counter:
        """A counter, by ``labels``."""
        return Counter(name, doc, labels, registry=self._registry)

    def gauge(self, name: str, doc: str, labels: Sequence[str] = ()) -> Gauge:
        """A gauge, by ``labels``."""
        return Gauge(name, doc, labels, registry=self._registry)

    def histogram(
        self, name: str, doc: str, labels: Sequence[str] = (), *, buckets: Sequence[float]
    ) -> Histogram:
        """A histogram with ``buckets``, by ``labels``."""
        return Histogram(name, doc, labels, buckets=buckets, registry=self._registry)


class Metrics:
    """Every Switchboard metric, on its own registry (one per runtime: tests run several)."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry = registry or CollectorRegistry(auto_describe=True)
        new = _Declare(registry)
        self._declare_slack(new)
        self._declare_turns(new)
        self._declare_actions(new)
        self._declare_llm(new)
        self._breaker_sources: list[Callable[[], Mapping[str, str]]] = []

    def _declare_slack(self, new: _Declare) -> None:
        """Slack deliveries and acks, Web API calls and 429s, and retries of every kind."""
        self.deliveries = new.counter(
            "switchboard_slack_deliveries_total",
            "Slack deliveries received, by kind (event, command, action, view) and outcome "
            "(claimed, duplicate, ignored, malformed, handled)",
            ["kind", "outcome"],
        )
        self.rejected = new.counter(
            "switchboard_slack_requests_rejected_total",
            "HTTP requests refused before Bolt, by reason",
            ["reason"],
        )
        self.ack_seconds = new.histogram(
            "switchboard_slack_ack_seconds",
            "Time from receiving a Slack HTTP request to answering it",
            buckets=_FAST,
        )
        self.slack_calls = new.counter(
            "switchboard_slack_api_calls_total",
            "Slack Web API calls by method and HTTP status",
            ["method", "status"],
        )
        self.slack_rate_limited = new.counter(
            "switchboard_slack_api_rate_limited_total",
            "Slack Web API calls answered 429, by method",
            ["method"],
        )
        self.retries = new.counter(
            "switchboard_retries_total",
            "Retries scheduled, by what was retried",
            ["kind"],
        )

    def _declare_turns(self, new: _Declare) -> None:
        """Turns by agent, planner and outcome; routing, fallbacks, budgets and votes."""
        self.turns = new.counter(
            "switchboard_turns_total",
            "Turns answered, by agent, planner and outcome",
            ["agent", "planner", "outcome"],
        )
        self.turn_seconds = new.histogram(
            "switchboard_turn_seconds",
            "Time to answer a turn (route, plan, act), by agent and planner",
            ["agent", "planner"],
            buckets=_LLM,
        )
        self.routes = new.counter(
            "switchboard_route_decisions_total",
            "Router decisions by method (explicit, binding, action, keyword, example, llm, "
            "ask, pending, fallback)",
            ["method"],
        )
        self.degraded = new.counter(
            "switchboard_planner_fallbacks_total",
            "Turns answered by a lesser planner, by reason",
            ["reason"],
        )
        self.budget_refusals = new.counter(
            "switchboard_budget_refusals_total",
            "Model calls not made because a daily budget was spent, by scope",
            ["scope"],
        )
        self.feedback = new.counter(
            "switchboard_feedback_total",
            "Votes on answers, by agent and vote",
            ["agent", "vote"],
        )

    def _declare_actions(self, new: _Declare) -> None:
        """Action executions, circuit breakers and approvals."""
        self.tool_runs = new.counter(
            "switchboard_tool_executions_total",
            "Action executions by action and outcome",
            ["action", "outcome"],
        )
        self.tool_seconds = new.histogram(
            "switchboard_tool_execution_seconds",
            "Time an action's execution took (retries included), by action",
            ["action"],
            buckets=_LLM,
        )
        self.breakers = new.gauge(
            "switchboard_circuit_breaker_state",
            "Circuit breaker per target: 0 closed, 1 half open, 2 open",
            ["target"],
        )
        self.approvals = new.counter(
            "switchboard_approvals_total",
            "Approval requests reaching a state, by action",
            ["action", "state"],
        )
        self.approval_seconds = new.histogram(
            "switchboard_time_to_approval_seconds",
            "Time from an approval request to its approval, by action",
            ["action"],
            buckets=_APPROVAL,
        )

    def _declare_llm(self, new: _Declare) -> None:
        """Model tokens, latency and cost."""
        self.llm_tokens = new.counter(
            "switchboard_llm_tokens_total",
            "Model tokens, by provider, model and direction (input, output)",
            ["provider", "model", "direction"],
        )
        self.llm_seconds = new.histogram(
            "switchboard_llm_call_seconds",
            "Model call latency (the adapter's retries included), by provider, model and outcome",
            ["provider", "model", "outcome"],
            buckets=_LLM,
        )
        self.llm_cost = new.counter(
            "switchboard_llm_cost_usd_total",
            "Model cost in US dollars, by provider and model",
            ["provider", "model"],
        )

    def watch_breakers(self, states: Callable[[], Mapping[str, str]]) -> None:
        """Read breaker states (target -> state) from ``states`` at every scrape."""
        self._breaker_sources.append(states)

    def exposition(self) -> bytes:
        """The text format Prometheus scrapes."""
        for source in self._breaker_sources:
            for target, state in source().items():
                self.breakers.labels(target).set(_BREAKER_VALUE.get(state, 2))
        return generate_latest(self.registry)

    def delivery(self, kind: str, outcome: str) -> None:
        """Count one Slack delivery."""
        self.deliveries.labels(kind, outcome).inc()

    def vote(self, agent: str, vote: str) -> None:
        """Count one vote on an answer."""
        self.feedback.labels(agent, vote).inc()

    def retried(self, kind: str) -> Callable[[], None]:
        """A callback counting one retry of ``kind``."""
        counter = self.retries.labels(kind)
        return counter.inc

    def turn(self, trace: Trace) -> None:
        """Count one finished turn from its trace."""
        self.turns.labels(trace.agent, trace.planner, trace.outcome).inc()
        self.turn_seconds.labels(trace.agent, trace.planner).observe(trace.total_ms / 1000)
        self.routes.labels(trace.route_reason).inc()
        if trace.degraded:
            self.degraded.labels(trace.degraded).inc()
            if trace.degraded.startswith("budget_"):
                self.budget_refusals.labels(trace.degraded.removeprefix("budget_")).inc()

    def slack_trace_config(self, api_url: str) -> aiohttp.TraceConfig:
        """An aiohttp trace config counting Slack Web API calls (and 429s) by method."""
        base = api_url.rstrip("/") + "/"
        config = aiohttp.TraceConfig()

        async def on_end(
            _session: aiohttp.ClientSession,
            _context: SimpleNamespace,
            params: aiohttp.TraceRequestEndParams,
        ) -> None:
            url = str(params.url)
            if not url.startswith(base):
                return
            method = url[len(base) :].split("?", 1)[0] or "unknown"
            status = params.response.status
            self.slack_calls.labels(method, str(status)).inc()
            if status == 429:
                self.slack_rate_limited.labels(method).inc()
                self.retries.labels("slack").inc()

        config.on_request_end.append(on_end)
        return config


class MeteredChatModel(ChatModelDecorator):
    """A ``ChatModel`` whose calls are timed by provider, model and outcome."""

    def __init__(self, inner: ChatModel, metrics: Metrics) -> None:
        super().__init__(inner)
        self._metrics = metrics

    async def complete(self, request: ChatRequest) -> Completion:
        """Call the model and record how long it took and whether it answered."""
        started = time.monotonic()
        outcome = "error"
        try:
            completion = await self._inner.complete(request)
            outcome = "ok"
            return completion
        finally:
            self._metrics.llm_seconds.labels(self._inner.name, request.model, outcome).observe(
                time.monotonic() - started
            )


class Ledger(TurnLedger, ReplyLedger, Protocol):
    """The turn's writes: the domain records a turn, the edge completes it."""


@dataclass(frozen=True, slots=True)
class MeteredLedger:
    """A ``Ledger`` that counts every recorded turn (and tells the alerter)."""

    inner: Ledger
    metrics: Metrics
    _: KW_ONLY
    alerter: Alerter | None = None

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

    async def spent(
        self,
        *,
        team_id: str,
        since: datetime,
        agent: str | None = None,
        user_id: str | None = None,
        channel_id: str | None = None,
    ) -> int:
        """Pass through (the budgets' sums)."""
        return await self._inner.spent(
            team_id=team_id, since=since, agent=agent, user_id=user_id, channel_id=channel_id
        )


@dataclass(frozen=True, slots=True)
class MeteredNotifier:
    """An ``ApprovalNotifier`` that counts approvals by state and times approvals."""

    inner: ApprovalNotifier
    metrics: Metrics
    _: KW_ONLY
    alerter: Alerter | None = None

    async def approval_changed(self, approval: Approval, *, note: str | None) -> None:
        """Count the state reached, then notify."""
        self.metrics.approvals.labels(approval.action, approval.state).inc()
        if self.alerter is not None:
            self.alerter.approval(approval)
        if approval.state == "approved" and approval.quorum > 0 and approval.updated_at:
            waited = (approval.updated_at - approval.created_at).total_seconds()
            self.metrics.approval_seconds.labels(approval.action).observe(max(waited, 0.0))
        await self.inner.approval_changed(approval, note=note)

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
