"""Fakes for the resilience tests: a clock the test moves, a sleep that only records, and a
retry state built by hand (so budget arithmetic is checked without waiting)."""

from __future__ import annotations

from tenacity import AsyncRetrying, RetryCallState


class FakeClock:
    """Monotonic seconds that move only when the test says."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class RecordingSleep:
    """Stands in for ``asyncio.sleep``: records each wait, waits for none."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def state_after(outcome: object, *, attempt: int = 1, elapsed: float = 0.0) -> RetryCallState:
    """A policy's state once attempt ``attempt`` ended with ``outcome`` (a result, or an
    exception it raised), ``elapsed`` seconds after the call started."""
    state = RetryCallState(retry_object=AsyncRetrying(), fn=None, args=(), kwargs={})
    state.attempt_number = attempt
    if isinstance(outcome, BaseException):
        state.set_exception((type(outcome), outcome, None))
    else:
        state.set_result(outcome)
    assert state.outcome_timestamp is not None
    state.start_time = state.outcome_timestamp - elapsed
    return state
