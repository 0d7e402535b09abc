"""What surrounds every provider call, whatever its wire format: the provider's circuit
breaker, the retry policy, and the one canonical ``llm_call`` log line.

A streamed call hands its text on through a :class:`Relay`; once the first piece has gone, no
failure is retried (the caller would get that text twice), and the log line says how many
pieces went and how long the first took.

A call (all its attempts) is one vote for the breaker. A call that got an answer from the
provider, even a ``bad_request`` refusal, votes success (the provider is up); any other
failure votes failure. While the circuit is open a call is refused at once, before any
network traffic, as ``ProviderError(kind="circuit_open")``. The log line names the provider,
model, attempts, latency, tokens and finish reason: never message content, never the key.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

import structlog

from agents.kernel.errors import ProviderError
from agents.llm.chat import Completion, TextSink
from bot.integrations.llm.settings import ProviderSettings
from bot.integrations.resilience import (
    BreakerState,
    CircuitBreaker,
    Counted,
    Sleep,
    provider_policy,
)

__all__ = ["CallGuard", "Relay"]

log = structlog.get_logger(__name__)


class Relay:
    """The caller's text sink for one streamed call: hands each piece on in order, and
    remembers how many went and when the first did."""

    def __init__(self, sink: TextSink, *, monotonic: Callable[[], float]) -> None:
        self._sink = sink
        self._monotonic = monotonic
        self.pieces = 0
        self.first_at: float | None = None

    @property
    def started(self) -> bool:
        """Whether any text has been handed on (from then on, nothing may be retried)."""
        return self.pieces > 0

    async def __call__(self, piece: str) -> None:
        """Hand ``piece`` to the sink."""
        if self.first_at is None:
            self.first_at = self._monotonic()
        self.pieces += 1
        await self._sink(piece)


class CallGuard:
    """The breaker, retries and log line of one provider (shared by all its models)."""

    def __init__(
        self,
        settings: ProviderSettings,
        *,
        sleep: Sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._settings = settings
        self._sleep = sleep
        self._monotonic = monotonic
        self.breaker = CircuitBreaker(
            settings.name,
            failure_threshold=settings.breaker_threshold,
            cooldown=settings.breaker_cooldown,
            clock=monotonic,
            on_change=self._changed,
        )

    async def run(
        self,
        model: str,
        attempt: Callable[[], Awaitable[Completion]],
        *,
        relay: Relay | None = None,
    ) -> Completion:
        """Run ``attempt`` under the policy, unless the circuit is open.

        Args:
            relay: for a streamed call, the relay its attempts hand text to.

        Raises:
            ProviderError: the last attempt's failure, or ``circuit_open``.
        """
        provider = self._settings.name
        if not self.breaker.try_acquire():
            log.warning(
                "llm_call", provider=provider, model=model, attempts=0, error="circuit_open"
            )
            raise ProviderError(
                provider, "circuit_open", "circuit open after repeated failures; not tried"
            )
        started = self._monotonic()
        counted = Counted(lambda _number: attempt())
        policy = provider_policy(
            provider=provider,
            attempts=self._settings.max_attempts,
            sleep=self._sleep,
            delivered=None if relay is None else (lambda: relay.started),
        )
        try:
            completion: Completion = await self.breaker.judge(
                policy(counted), succeeded=lambda _completion: True, failed=_counts_against
            )
        except ProviderError as exc:
            log.warning(
                "llm_call",
                provider=provider,
                model=model,
                attempts=counted.made,
                latency_ms=self._elapsed_ms(started),
                error=exc.kind,
                **self._streamed(relay, started),
            )
            raise
        log.info(
            "llm_call",
            provider=provider,
            model=completion.model,
            attempts=counted.made,
            latency_ms=self._elapsed_ms(started),
            input_tokens=completion.usage.input_tokens,
            output_tokens=completion.usage.output_tokens,
            finish_reason=completion.finish_reason,
            **self._streamed(relay, started),
        )
        return completion

    def _streamed(self, relay: Relay | None, started: float) -> dict[str, object]:
        """The log line's stream fields: how many pieces went, and the time to the first."""
        if relay is None:
            return {"streamed": False}
        first = None if relay.first_at is None else round((relay.first_at - started) * 1000)
        return {"streamed": True, "pieces": relay.pieces, "first_piece_ms": first}

    def _changed(self, before: BreakerState, after: BreakerState) -> None:
        if after == "open":
            log.warning("llm_breaker_opened", provider=self._settings.name)
        elif after == "closed":
            log.info("llm_breaker_closed", provider=self._settings.name)

    def _elapsed_ms(self, started: float) -> int:
        return round((self._monotonic() - started) * 1000)


def _counts_against(exc: BaseException) -> bool | None:
    """A refusal (``bad_request``) shows the provider is up; a bug or a cancellation says
    nothing about its health."""
    if isinstance(exc, ProviderError):
        return exc.kind != "bad_request"
    return None
