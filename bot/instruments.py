"""What observes the edges: Prometheus metrics always, OpenTelemetry spans with the ``otel``
extra. The runtime wraps each model client, executor and turn with them."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import structlog

from agents.actions.execution import Executor
from agents.llm.chat import ChatModel
from bot.alerts import Alerter
from bot.metered import MeteredChatModel, metered_executors
from bot.metrics import Metrics
from handlers.turns import TurnTracing

__all__ = ["Instruments", "Tracing", "configure_tracing_if_installed"]

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class Tracing:
    """The OpenTelemetry pieces, when the ``otel`` extra is installed."""

    turns: TurnTracing
    chat_model: Callable[[ChatModel, str], ChatModel]
    executor: Callable[[Executor, str], Executor]


@dataclass(frozen=True, slots=True)
class Instruments:
    """A runtime's metrics and (optional) tracing, and how they wrap the edges."""

    metrics: Metrics
    tracing: Tracing | None = None

    @classmethod
    def create(
        cls, *, tracer_provider: Any | None = None, environ: Mapping[str, str] | None = None
    ) -> Instruments:
        """Fresh metrics; spans on ``tracer_provider`` (default: the global one) when the
        ``otel`` extra is installed and tracing is asked for: a provider is given, or an
        ``OTEL_*`` variable is set in ``environ`` (the exporter's, or those
        ``opentelemetry-instrument`` reads). Otherwise OpenTelemetry is not even imported,
        and no turn pays for a span nobody records."""
        wanted = tracer_provider is not None or any(
            name.startswith("OTEL_") for name in (environ or {})
        )
        return cls(Metrics(), _tracing(tracer_provider) if wanted else None)

    @property
    def turns(self) -> TurnTracing | None:
        """The span around each turn, if tracing."""
        return self.tracing.turns if self.tracing is not None else None

    def chat_model(self, model: ChatModel, kind: str) -> ChatModel:
        """A provider's client timed (metrics) and, with the otel extra, traced."""
        timed = MeteredChatModel(model, self.metrics)
        return self.tracing.chat_model(timed, kind) if self.tracing is not None else timed

    def executors(
        self, executors: Mapping[str, Executor], *, alerter: Alerter
    ) -> Mapping[str, Executor]:
        """Each action's executor counted and timed (telling the alerter) and maybe traced."""
        metered = metered_executors(executors, self.metrics, alerter=alerter)
        if self.tracing is None:
            return metered
        return {name: self.tracing.executor(e, name) for name, e in metered.items()}

    def retry_sleep(self) -> Callable[[float], Awaitable[None]]:
        """The executors' wait between attempts, counting each one as a retry."""
        retried = self.metrics.retried("executor")

        async def sleep(seconds: float) -> None:
            retried()
            await asyncio.sleep(seconds)

        return sleep


def configure_tracing_if_installed() -> bool:
    """Export spans over OTLP (``OTEL_*`` variables); False without the ``otel`` extra."""
    try:
        from bot.tracing import configure_tracing
    except ImportError:
        log.warning("tracing_unavailable", hint="pip install 'switchboard[otel]'")
        return False
    return configure_tracing()


def _tracing(tracer_provider: Any | None) -> Tracing | None:
    try:
        from bot.tracing import OtelTracing, TracedChatModel, TracedExecutor, tracer_of
    except ImportError:  # the otel extra is not installed: no spans
        return None
    tracer = tracer_of(tracer_provider)
    return Tracing(
        turns=OtelTracing(tracer),
        chat_model=lambda model, kind: TracedChatModel(model, tracer, provider_kind=kind),
        executor=lambda executor, action: TracedExecutor(executor, tracer, action=action),
    )
