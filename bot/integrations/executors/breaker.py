"""A circuit breaker per target system, and the executor wrapper that consults it.

``closed`` (calls go through) -> ``open`` after ``failure_threshold`` consecutive failed runs
(calls are refused at once, not attempted) -> ``half_open`` once ``cooldown`` seconds have
passed (one trial call goes through; others are still refused) -> ``closed`` if the trial
succeeds, ``open`` again if it fails. A run that ends ``failed`` or ``unknown`` counts as a
failure: retries happen inside one run, so one run is one vote. Time comes from an injected
monotonic clock, so the logic is tested without waiting.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Literal

import structlog

from agents.actions.execution import ExecutionRequest, ExecutionResult, Executor

__all__ = ["BreakerExecutor", "BreakerState", "CircuitBreaker", "breaker_states"]

log = structlog.get_logger(__name__)

BreakerState = Literal["closed", "open", "half_open"]


class CircuitBreaker:
    """The health of one target, as seen by every action that reaches it."""

    def __init__(
        self,
        target: str,
        *,
        failure_threshold: int = 5,
        cooldown: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if failure_threshold < 1 or cooldown < 0:
            raise ValueError("failure_threshold must be >= 1 and cooldown >= 0")
        self.target = target
        self._threshold = failure_threshold
        self._cooldown = cooldown
        self._clock = clock
        self._state: BreakerState = "closed"
        self._failures = 0
        self._opened_at = 0.0
        self._trial_running = False

    @property
    def state(self) -> BreakerState:
        """The current state (``open`` turns ``half_open`` only when a call asks)."""
        return self._state

    def try_acquire(self) -> bool:
        """Whether a call may go through now; the caller must then record its outcome."""
        if self._state == "closed":
            return True
        if self._state == "open":
            if self._clock() - self._opened_at < self._cooldown:
                return False
            self._state = "half_open"
            log.info("circuit_half_open", target=self.target)
        if self._trial_running:
            return False
        self._trial_running = True
        return True

    def record_success(self) -> None:
        """A call went well: close the circuit."""
        if self._state != "closed":
            log.info("circuit_closed", target=self.target)
        self._state, self._failures, self._trial_running = "closed", 0, False

    def record_failure(self) -> None:
        """A call failed: count it, and open the circuit at the threshold or after a trial."""
        self._failures += 1
        self._trial_running = False
        if self._state == "half_open" or self._failures >= self._threshold:
            if self._state != "open":
                log.warning("circuit_opened", target=self.target, failures=self._failures)
            self._state, self._opened_at = "open", self._clock()

    def release(self) -> None:
        """A call ended without a verdict (it was cancelled): let another trial go through."""
        self._trial_running = False


class BreakerExecutor:
    """Runs an executor only while its target's circuit lets it."""

    def __init__(self, inner: Executor, breaker: CircuitBreaker, *, action: str) -> None:
        self._inner = inner
        self._breaker = breaker
        self._action = action

    @property
    def breaker(self) -> CircuitBreaker:
        """The circuit breaker of this executor's target (shared by its actions)."""
        return self._breaker

    async def run(self, request: ExecutionRequest) -> ExecutionResult:
        """Refuse at once while the circuit is open; otherwise run and record the outcome."""
        target = self._breaker.target
        if not self._breaker.try_acquire():
            log.warning("execution_refused_circuit_open", action=self._action, target=target)
            return ExecutionResult(
                "failed",
                f"{target} is unavailable (circuit open); not attempted",
                circuit_open=True,
            )
        try:
            result = await self._inner.run(request)
        except Exception:
            self._breaker.record_failure()
            raise
        except BaseException:
            self._breaker.release()
            raise
        if result.outcome == "succeeded":
            self._breaker.record_success()
        else:
            self._breaker.record_failure()
        return result


def breaker_states(executors: Mapping[str, object]) -> dict[str, BreakerState]:
    """The state of each target's breaker among ``executors`` (for metrics and health)."""
    return {
        e.breaker.target: e.breaker.state
        for e in executors.values()
        if isinstance(e, BreakerExecutor)
    }
