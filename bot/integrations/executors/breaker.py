"""The executor wrapper that consults its target's circuit breaker.

The breaker itself is :class:`~bot.integrations.resilience.CircuitBreaker`, one per target,
shared by every action on it. A run that ends ``failed`` or ``unknown`` counts as a failure:
retries happen inside one run, so one run is one vote.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import KW_ONLY, dataclass

import structlog

from agents.actions.execution import ExecutionRequest, ExecutionResult, Executor
from bot.integrations.resilience import BreakerState, CircuitBreaker

__all__ = ["BreakerExecutor", "breaker_states"]

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class BreakerExecutor:
    """Runs an executor only while its target's circuit lets it."""

    inner: Executor
    breaker: CircuitBreaker
    _: KW_ONLY
    action: str

    async def run(self, request: ExecutionRequest) -> ExecutionResult:
        """Refuse at once while the circuit is open; otherwise run and record the outcome."""
        target = self.breaker.target
        if not self.breaker.try_acquire():
            log.warning("execution_refused_circuit_open", action=self.action, target=target)
            return ExecutionResult(
                "failed",
                f"{target} is unavailable (circuit open); not attempted",
                circuit_open=True,
            )
        return await self.breaker.judge(
            self.inner.run(request), succeeded=_succeeded, failed=_raised_counts
        )


def _succeeded(result: ExecutionResult) -> bool:
    return result.outcome == "succeeded"


def _raised_counts(exc: BaseException) -> bool | None:
    """An executor that raises failed; a cancelled run leaves no verdict."""
    return True if isinstance(exc, Exception) else None


def breaker_states(executors: Mapping[str, object]) -> dict[str, BreakerState]:
    """The state of each target's breaker among ``executors`` (for metrics and health)."""
    return {
        e.breaker.target: e.breaker.state
        for e in executors.values()
        if isinstance(e, BreakerExecutor)
    }
