"""The circuit breaker's state machine, with a fake clock: closed -> open after consecutive
failures -> half open for one trial after the cooldown -> closed or open again; and how one
judged call votes."""

from __future__ import annotations

import pytest
from structlog.testing import capture_logs

from bot.integrations.resilience import BreakerState, CircuitBreaker

from ..fakes import FakeClock


def breaker(
    clock: FakeClock, *, threshold: int = 2, cooldown: float = 30.0
) -> tuple[CircuitBreaker, list[tuple[BreakerState, BreakerState]]]:
    """A breaker and the list its state changes are recorded in."""
    changes: list[tuple[BreakerState, BreakerState]] = []
    made = CircuitBreaker(
        "api:443",
        failure_threshold=threshold,
        cooldown=cooldown,
        clock=clock,
        on_change=lambda before, after: changes.append((before, after)),
    )
    return made, changes


def test_opens_after_consecutive_failures_and_refuses() -> None:
    """Below the threshold calls go through; at it the circuit opens and refuses at once."""
    clock = FakeClock()
    circuit, changes = breaker(clock, threshold=2)
    assert circuit.try_acquire()
    circuit.record_failure()
    assert circuit.state == "closed" and circuit.try_acquire()
    with capture_logs() as logs:
        circuit.record_failure()
    assert circuit.state == "open" and not circuit.try_acquire()
    assert changes == [("closed", "open")]
    assert [(e["event"], e["failures"]) for e in logs] == [("circuit_opened", 2)]


def test_success_resets_the_count() -> None:
    """Only consecutive failures count."""
    circuit, _ = breaker(FakeClock(), threshold=2)
    circuit.record_failure()
    circuit.record_success()
    circuit.record_failure()
    assert circuit.state == "closed"


def test_half_open_after_cooldown_lets_one_trial_through() -> None:
    """Before the cooldown: refused; after it: one trial, and a second caller is refused."""
    clock = FakeClock()
    circuit, changes = breaker(clock, threshold=1, cooldown=30)
    circuit.record_failure()
    clock.now += 29.9
    assert not circuit.try_acquire()
    clock.now += 0.1
    assert circuit.try_acquire()
    assert circuit.state == "half_open" and not circuit.try_acquire()
    circuit.record_success()
    assert circuit.state == "closed"
    assert changes == [("closed", "open"), ("open", "half_open"), ("half_open", "closed")]


def test_failed_trial_reopens_for_a_fresh_cooldown() -> None:
    """A trial that fails opens the circuit again, its cooldown counted from then."""
    clock = FakeClock()
    circuit, _ = breaker(clock, threshold=3, cooldown=10)
    for _ in range(3):
        circuit.record_failure()
    clock.now += 10
    assert circuit.try_acquire()
    circuit.record_failure()  # one failure is enough while half open
    assert circuit.state == "open"
    clock.now += 9
    assert not circuit.try_acquire()
    clock.now += 1
    assert circuit.try_acquire()


def test_release_frees_the_trial_slot_without_a_verdict() -> None:
    """A trial that ends without a verdict lets the next caller try, the state unchanged."""
    clock = FakeClock()
    circuit, _ = breaker(clock, threshold=1, cooldown=5)
    circuit.record_failure()
    clock.now += 5
    assert circuit.try_acquire()
    circuit.release()
    assert circuit.state == "half_open" and circuit.try_acquire()


async def test_judge_votes_once_per_call() -> None:
    """A result votes as ``succeeded`` says; an exception as ``failed`` says (True: failure,
    False: success, None: no vote) and still propagates."""
    clock = FakeClock()
    circuit, changes = breaker(clock, threshold=1, cooldown=5)

    async def answer(value: str) -> str:
        return value

    async def boom(exc: BaseException) -> str:
        raise exc

    def verdict(exc: BaseException) -> bool | None:
        return {"down": True, "refused": False}.get(str(exc))

    judged = await circuit.judge(answer("bad"), succeeded=lambda r: r == "ok", failed=verdict)
    assert judged == "bad" and circuit.state == "open"
    clock.now += 5
    assert circuit.try_acquire()
    with pytest.raises(RuntimeError, match="bug"):
        await circuit.judge(boom(RuntimeError("bug")), succeeded=bool, failed=verdict)
    assert circuit.state == "half_open" and circuit.try_acquire()
    with pytest.raises(ValueError, match="refused"):
        await circuit.judge(boom(ValueError("refused")), succeeded=bool, failed=verdict)
    assert circuit.state == "closed"
    with pytest.raises(ValueError, match="down"):
        await circuit.judge(boom(ValueError("down")), succeeded=bool, failed=verdict)
    assert circuit.state == "open"
    assert changes[-2:] == [("half_open", "closed"), ("closed", "open")]


@pytest.mark.parametrize(("threshold", "cooldown"), [(0, 1.0), (1, -1.0)])
def test_bounds_are_checked(threshold: int, cooldown: float) -> None:
    """A threshold below one or a negative cooldown is refused."""
    with pytest.raises(ValueError, match="failure_threshold"):
        CircuitBreaker("t", failure_threshold=threshold, cooldown=cooldown)
