"""The circuit breaker: opens after consecutive failures, refuses at once, half-opens for one
trial after the cooldown. Time is a fake clock."""

from __future__ import annotations

import asyncio

from agents.actions.execution import ExecutionRequest, ExecutionResult
from bot.integrations.executors import BreakerExecutor
from bot.integrations.resilience import CircuitBreaker

from ..fakes import FakeClock

REQUEST = ExecutionRequest("restart", {}, "key-1", "trace-1", "U0ALICE")


class Scripted:
    """An executor that returns the given outcomes in turn and counts its calls."""

    def __init__(self, *outcomes: str) -> None:
        self.outcomes = list(outcomes)
        self.calls = 0
        self.gate: asyncio.Event | None = None

    async def run(self, request: ExecutionRequest) -> ExecutionResult:
        self.calls += 1
        if self.gate is not None:
            await self.gate.wait()
        outcome = self.outcomes.pop(0) if len(self.outcomes) > 1 else self.outcomes[0]
        return ExecutionResult(outcome, outcome)  # type: ignore[arg-type]


def wrapped(inner: Scripted, clock: FakeClock, *, threshold: int = 5) -> BreakerExecutor:
    breaker = CircuitBreaker(
        "deploy-api:443", failure_threshold=threshold, cooldown=30, clock=clock
    )
    return BreakerExecutor(inner, breaker, action="restart")


async def test_opens_after_threshold_and_short_circuits() -> None:
    """Five failures in a row open the circuit; the sixth call is refused without running."""
    inner, clock = Scripted("failed"), FakeClock()
    executor = wrapped(inner, clock)
    for _ in range(5):
        assert (await executor.run(REQUEST)).outcome == "failed"
    refused = await executor.run(REQUEST)
    assert inner.calls == 5
    assert refused.circuit_open and refused.outcome == "failed"
    assert refused.summary == "deploy-api:443 is unavailable (circuit open); not attempted"


async def test_unknown_counts_as_failure_and_success_resets_the_count() -> None:
    """Only consecutive failures count: a success in between starts the count again."""
    inner, clock = Scripted("unknown", "unknown", "succeeded", "unknown", "unknown"), FakeClock()
    executor = wrapped(inner, clock, threshold=3)
    for _ in range(5):
        await executor.run(REQUEST)
    assert not (await executor.run(REQUEST)).circuit_open


async def test_half_open_after_cooldown_then_closes_on_success() -> None:
    """After the cooldown one trial runs; its success closes the circuit."""
    inner, clock = Scripted("failed", "failed", "succeeded"), FakeClock()
    breaker = CircuitBreaker("t", failure_threshold=2, cooldown=30, clock=clock)
    executor = BreakerExecutor(inner, breaker, action="restart")
    await executor.run(REQUEST)
    await executor.run(REQUEST)
    clock.now += 29.9
    assert (await executor.run(REQUEST)).circuit_open
    clock.now += 0.1
    assert (await executor.run(REQUEST)).outcome == "succeeded"
    assert breaker.state == "closed" and inner.calls == 3


async def test_failed_trial_reopens_for_another_cooldown() -> None:
    """A failing trial opens the circuit again, counting the cooldown from then."""
    inner, clock = Scripted("failed"), FakeClock()
    breaker = CircuitBreaker("t", failure_threshold=1, cooldown=30, clock=clock)
    executor = BreakerExecutor(inner, breaker, action="restart")
    await executor.run(REQUEST)
    clock.now += 30
    assert not (await executor.run(REQUEST)).circuit_open
    assert breaker.state == "open"
    clock.now += 10
    assert (await executor.run(REQUEST)).circuit_open
    assert inner.calls == 2


async def test_half_open_lets_exactly_one_trial_through() -> None:
    """While the trial is running, other calls are still refused."""
    inner, clock = Scripted("failed", "succeeded"), FakeClock()
    breaker = CircuitBreaker("t", failure_threshold=1, cooldown=5, clock=clock)
    executor = BreakerExecutor(inner, breaker, action="restart")
    await executor.run(REQUEST)
    clock.now += 5
    inner.gate = asyncio.Event()
    trial = asyncio.create_task(executor.run(REQUEST))
    await asyncio.sleep(0)
    assert (await executor.run(REQUEST)).circuit_open
    inner.gate.set()
    assert (await trial).outcome == "succeeded"
    assert breaker.state == "closed"


async def test_cancelled_trial_frees_the_half_open_slot() -> None:
    """A trial cancelled mid-run leaves no verdict; the next call may try again."""
    inner, clock = Scripted("failed", "succeeded"), FakeClock()
    breaker = CircuitBreaker("t", failure_threshold=1, cooldown=5, clock=clock)
    executor = BreakerExecutor(inner, breaker, action="restart")
    await executor.run(REQUEST)
    clock.now += 5
    inner.gate = asyncio.Event()
    trial = asyncio.create_task(executor.run(REQUEST))
    await asyncio.sleep(0)
    trial.cancel()
    await asyncio.gather(trial, return_exceptions=True)
    inner.gate.set()
    assert (await executor.run(REQUEST)).outcome == "succeeded"
