"""OpenTelemetry spans (the optional ``otel`` extra), following the GenAI semantic conventions.

- ``invoke_agent {agent}``: one span per turn. Its OpenTelemetry trace id *is* the turn's
  stored trace id (a 32-hex uuid4), so a trace found in the backend, the logs, the database
  and the Slack message metadata is the same id.
- ``chat {model}``: each model call inside the turn (a child span), with ``gen_ai.*``
  attributes: operation, provider, request and response model, token usage, finish reason.
  Message content is never recorded.
- ``execute_tool {action}``: each execution by the worker, linked to the turn that asked for
  it (the request may have waited hours for approval: a link, not a parent).

The exporter is configured by the standard ``OTEL_*`` variables
(``OTEL_EXPORTER_OTLP_ENDPOINT``, ``OTEL_TRACES_EXPORTER``, ``OTEL_SERVICE_NAME``...), read by
the SDK itself. Without the extra installed, nothing here is used and no span is made.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import KW_ONLY, dataclass
from typing import Any

import structlog
from opentelemetry import trace
from opentelemetry.trace import (
    Link,
    NonRecordingSpan,
    SpanContext,
    SpanKind,
    Status,
    StatusCode,
    TraceFlags,
    Tracer,
)

from agents.actions.execution import ExecutionRequest, ExecutionResult, Executor
from agents.kernel.models import Inbound, Outbound
from agents.llm.chat import ChatModel, ChatRequest, Completion, TextSink
from bot.integrations.llm.decorator import ChatModelDecorator

__all__ = ["OtelTracing", "TracedChatModel", "TracedExecutor", "configure_tracing", "turn_context"]

log = structlog.get_logger(__name__)

_SCOPE = "switchboard"


def turn_context(trace_id: str) -> SpanContext | None:
    """The remote span context a turn's spans descend from: its trace id is the turn's, its
    span id derived from it (so a worker's link points at the same place). None for an id
    that is not 32 hex digits."""
    try:
        trace_value = int(trace_id, 16)
    except ValueError:
        return None
    if len(trace_id) != 32 or trace_value == 0:
        return None
    span_value = int(trace_id[:16], 16) or 1
    return SpanContext(
        trace_id=trace_value,
        span_id=span_value,
        is_remote=True,
        trace_flags=TraceFlags(TraceFlags.SAMPLED),
    )


class OtelTracing:
    """Makes the turn spans; the runner calls :meth:`turn` around each turn."""

    def __init__(self, tracer: Tracer) -> None:
        self.tracer = tracer

    @contextlib.contextmanager
    def turn(self, inbound: Inbound) -> Iterator[Callable[[Outbound], None]]:
        """A span around one turn; the yielded callback names it once the agent is known."""
        parent = turn_context(inbound.trace_id)
        context = trace.set_span_in_context(NonRecordingSpan(parent)) if parent else None
        attributes = {
            "gen_ai.operation.name": "invoke_agent",
            "switchboard.trace_id": inbound.trace_id,
            "switchboard.source": inbound.source,
        }
        with self.tracer.start_as_current_span(
            "invoke_agent", context=context, kind=SpanKind.INTERNAL, attributes=attributes
        ) as span:

            def finished(outbound: Outbound) -> None:
                span.update_name(f"invoke_agent {outbound.agent}")
                span.set_attribute("gen_ai.agent.name", outbound.agent)
                span.set_attribute("switchboard.outcome", outbound.outcome)
                if outbound.outcome != "replied":
                    span.set_status(Status(StatusCode.ERROR, outbound.outcome))

            yield finished


class TracedChatModel(ChatModelDecorator):
    """A ``ChatModel`` whose calls are ``chat {model}`` spans (no message content)."""

    def __init__(self, inner: ChatModel, tracer: Tracer, *, provider_kind: str) -> None:
        super().__init__(inner)
        self._tracer = tracer
        self._kind = provider_kind

    async def complete(
        self, request: ChatRequest, *, on_text: TextSink | None = None
    ) -> Completion:
        """Call the model inside a span carrying the GenAI attributes."""
        attributes: dict[str, Any] = {
            "gen_ai.operation.name": "chat",
            "gen_ai.provider.name": self._kind,
            "gen_ai.request.model": request.model,
            "switchboard.provider": self._inner.name,
        }
        with self._tracer.start_as_current_span(
            f"chat {request.model}", kind=SpanKind.CLIENT, attributes=attributes
        ) as span:
            try:
                completion = await self._inner.complete(request, on_text=on_text)
            except Exception as exc:
                span.set_attribute("error.type", type(exc).__name__)
                span.set_status(Status(StatusCode.ERROR, type(exc).__name__))
                raise
            span.set_attribute("gen_ai.response.model", completion.model)
            span.set_attribute("gen_ai.response.finish_reasons", [completion.finish_reason])
            span.set_attribute("gen_ai.usage.input_tokens", completion.usage.input_tokens)
            span.set_attribute("gen_ai.usage.output_tokens", completion.usage.output_tokens)
            return completion


@dataclass(frozen=True, slots=True)
class TracedExecutor:
    """An ``Executor`` whose runs are ``execute_tool {action}`` spans linked to their turn."""

    inner: Executor
    tracer: Tracer
    _: KW_ONLY
    action: str

    async def run(self, request: ExecutionRequest) -> ExecutionResult:
        """Run inside a span linked to the turn that requested the action."""
        requested = turn_context(request.trace_id)
        links = [Link(requested)] if requested is not None else []
        attributes = {
            "gen_ai.operation.name": "execute_tool",
            "gen_ai.tool.name": self.action,
            "gen_ai.tool.type": "function",
            "gen_ai.tool.call.id": request.idempotency_key,
            "switchboard.trace_id": request.trace_id,
        }
        with self.tracer.start_as_current_span(
            f"execute_tool {self.action}",
            context=trace.set_span_in_context(trace.INVALID_SPAN),  # a new trace
            kind=SpanKind.INTERNAL,
            links=links,
            attributes=attributes,
        ) as span:
            result = await self.inner.run(request)
            span.set_attribute("switchboard.outcome", result.outcome)
            if result.outcome != "succeeded":
                span.set_status(Status(StatusCode.ERROR, result.outcome))
            return result


def configure_tracing(*, service_name: str = "switchboard") -> bool:
    """Install an SDK tracer provider exporting over OTLP as the ``OTEL_*`` variables say.

    Returns False (and changes nothing) when the SDK or the OTLP exporter is not installed.
    """
    try:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
    except ImportError:
        log.warning("tracing_unavailable", hint="pip install 'switchboard[otel]'")
        return False
    provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    log.info("tracing_configured")
    return True


def tracer_of(provider: Any | None = None) -> Tracer:
    """Switchboard's tracer, from ``provider`` or the global one (a no-op until configured)."""
    if provider is not None:
        tracer: Tracer = provider.get_tracer(_SCOPE)
        return tracer
    return trace.get_tracer(_SCOPE)
