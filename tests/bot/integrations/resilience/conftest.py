"""A retry state built by hand, so budget arithmetic is checked without waiting."""

from __future__ import annotations

from tenacity import AsyncRetrying, RetryCallState

__all__ = ["state_after"]


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
