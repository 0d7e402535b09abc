"""Prometheus metrics: one registry per running bot (the decorators that feed it are in
:mod:`bot.metered`).

Names follow Prometheus conventions (base units, ``_total`` counters). No label carries a
user, channel or thread id: only bounded sets (agent, planner, action, outcome, provider,
model, Slack method). Most metrics are taken at seams that already exist, so the domain stays
free of instrumentation: the turn ledger sees every finished turn with its trace, the usage
store every model call, the approval notifier every transition, executors every run.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Mapping, Sequence

import aiohttp
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from agents.kernel.models import Trace
from agents.turns.grounding import UNGROUNDED_CLAIM

__all__ = ["CONTENT_TYPE_LATEST", "Metrics"]

# Fast things (an ack, a Slack call) and slow ones (a turn with model calls) need their own
# buckets: LLM latencies reach tens of seconds.
_FAST = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
_LLM = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 30.0, 60.0, 120.0)
_SIGNAL = (0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0, 30.0)
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
        self.tasks = new.gauge(
            "switchboard_asyncio_tasks",
            "asyncio tasks alive on the bot's event loop at scrape time (a soak watches it "
            "for leaked tasks)",
        )
        self._breaker_sources: list[Callable[[], Mapping[str, str]]] = []
        self._mcp_sources: list[Callable[[], Mapping[str, bool]]] = []
        self._declare_backlog(new)

    def _declare_backlog(self, new: _Declare) -> None:
        """What waits in the database, read at scrape time (the same on every replica)."""
        self.events_backlog = new.gauge(
            "switchboard_events_backlog",
            "Slack deliveries claimed and not yet finished (all replicas)",
        )
        self.events_backlog_age = new.gauge(
            "switchboard_events_backlog_oldest_seconds",
            "Age of the oldest delivery claimed and not yet finished (0: none)",
        )
        self.approvals_pending = new.gauge(
            "switchboard_approvals_pending",
            "Approval requests waiting for a decision (all workspaces)",
        )

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
        self.first_signal = new.histogram(
            "switchboard_first_signal_seconds",
            "Time from a message reaching the bot to the first thing its sender sees of the "
            "turn (a status, a reaction, the streamed or posted answer)",
            buckets=_SIGNAL,
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
        self.ungrounded = new.counter(
            "switchboard_ungrounded_claims_total",
            "Answers whose model claimed what the turn's records do not show (marked), by agent",
            ["agent"],
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
        self.mcp_up = new.gauge(
            "switchboard_mcp_server_up",
            "MCP server per name: 1 listed, 0 unavailable (being retried in the background)",
            ["server"],
        )
        self.mcp_recoveries = new.counter(
            "switchboard_mcp_server_recovered_total",
            "MCP servers that were unavailable and came up while the bot ran, by server",
            ["server"],
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

    def watch_mcp(self, states: Callable[[], Mapping[str, bool]]) -> None:
        """Read whether each MCP server is up (server -> listed) from ``states`` at every
        scrape."""
        self._mcp_sources.append(states)

    def mcp_recovered(self, server: str) -> None:
        """Count an MCP server that came up while the bot ran."""
        self.mcp_recoveries.labels(server).inc()

    def exposition(self) -> bytes:
        """The text format Prometheus scrapes; called on the bot's event loop (the task gauge
        is left as it was when there is no running loop)."""
        with contextlib.suppress(RuntimeError):
            self.tasks.set(len(asyncio.all_tasks()))
        for source in self._breaker_sources:
            for target, state in source().items():
                self.breakers.labels(target).set(_BREAKER_VALUE.get(state, 2))
        for mcp in self._mcp_sources:
            for server, up in mcp().items():
                self.mcp_up.labels(server).set(1 if up else 0)
        return generate_latest(self.registry)

    def waiting(self, *, events: int, oldest_age: float, approvals: int) -> None:
        """Set the backlog gauges (the endpoint reads the database just before a scrape)."""
        self.events_backlog.set(events)
        self.events_backlog_age.set(max(oldest_age, 0.0))
        self.approvals_pending.set(approvals)

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
        if trace.degraded == UNGROUNDED_CLAIM:  # marked, not a fallback
            self.ungrounded.labels(trace.agent).inc()
        elif trace.degraded:
            self.degraded.labels(trace.degraded).inc()
            if trace.degraded.startswith("budget_"):
                self.budget_refusals.labels(trace.degraded.removeprefix("budget_")).inc()

    def slack_middleware(self, api_url: str) -> aiohttp.ClientMiddlewareType:
        """An aiohttp client middleware counting Slack Web API requests (and 429s) by method
        and status: every HTTP request, a retry's and a redirect's included, once answered.

        A middleware, not a ``TraceConfig``: a trace config makes aiohttp build and send half
        a dozen trace signals per request, about 3% of the event loop's time under load
        (benchmarks/README.md, issue 19); this is one call around the request."""
        base = api_url.rstrip("/") + "/"

        async def count(
            request: aiohttp.ClientRequest, handler: aiohttp.ClientHandlerType
        ) -> aiohttp.ClientResponse:
            response = await handler(request)
            url = str(request.url)
            if url.startswith(base):
                method = url[len(base) :].split("?", 1)[0] or "unknown"
                status = response.status
                self.slack_calls.labels(method, str(status)).inc()
                if status == 429:
                    self.slack_rate_limited.labels(method).inc()
                    self.retries.labels("slack").inc()
            return response

        return count
