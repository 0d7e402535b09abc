"""What surrounds every provider call, whatever its wire format: the provider's circuit
breaker, the retry policy, and the one canonical ``llm_call`` log line.

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
from agents.llm.chat import Completion
from bot.integrations.executors.breaker import CircuitBreaker
from bot.integrations.llm.retry import Sleep, provider_policy
from bot.integrations.llm.settings import ProviderSettings

__all__ = ["CallGuard"]

log = structlog.get_logger(__name__)


class CallGuard:
    """The breaker, retries and log line of one provider (shared by all its models)."""

    def __init__(
        self,
        settings: ProviderSettings,
        *,
        sleep: Sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._provider = settings.name
        self._attempts = settings.max_attempts
        self._sleep = sleep
        self._monotonic = monotonic
        self.breaker = CircuitBreaker(
            settings.name,
            failure_threshold=settings.breaker_threshold,
            cooldown=settings.breaker_cooldown,
            clock=monotonic,
        )

    async def run(self, model: str, attempt: Callable[[], Awaitable[Completion]]) -> Completion:
        """Run ``attempt`` under the policy, unless the circuit is open.

        Raises:
            ProviderError: the last attempt's failure, or ``circuit_open``.
        """
        if not self.breaker.try_acquire():
            log.warning(
                "llm_call", provider=self._provider, model=model, attempts=0, error="circuit_open"
            )
            raise ProviderError(
                self._provider, "circuit_open", "circuit open after repeated failures; not tried"
            )
        started = self._monotonic()
        made = 0

        async def once() -> Completion:
            nonlocal made
            made += 1
            return await attempt()

        try:
            completion: Completion = await provider_policy(
                provider=self._provider, attempts=self._attempts, sleep=self._sleep
            )(once)
        except ProviderError as exc:
            self._vote(success=exc.kind == "bad_request")
            log.warning(
                "llm_call",
                provider=self._provider,
                model=model,
                attempts=made,
                latency_ms=self._elapsed_ms(started),
                error=exc.kind,
            )
            raise
        except BaseException:
            # a bug or a cancellation: no verdict on the provider's health
            self.breaker.release()
            raise
        self._vote(success=True)
        log.info(
            "llm_call",
            provider=self._provider,
            model=completion.model,
            attempts=made,
            latency_ms=self._elapsed_ms(started),
            input_tokens=completion.usage.input_tokens,
            output_tokens=completion.usage.output_tokens,
            finish_reason=completion.finish_reason,
        )
        return completion

    def _vote(self, *, success: bool) -> None:
        before = self.breaker.state
        if success:
            self.breaker.record_success()
        else:
            self.breaker.record_failure()
        after = self.breaker.state
        if after == "open" and before != "open":
            log.warning("llm_breaker_opened", provider=self._provider)
        elif after == "closed" and before != "closed":
            log.info("llm_breaker_closed", provider=self._provider)

    def _elapsed_ms(self, started: float) -> int:
        return round((self._monotonic() - started) * 1000)
