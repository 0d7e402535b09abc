"""The circuit breaker: one per remote system, shared by every call that reaches it.

``closed`` (calls go through) -> ``open`` after ``failure_threshold`` consecutive failed calls
(calls are refused at once, not attempted) -> ``half_open`` once ``cooldown`` seconds have
passed (one trial call goes through; others are still refused) -> ``closed`` if the trial
succeeds, ``open`` again if it fails. Retries happen inside one call, so one call is one vote;
a call that ends without a verdict (a bug, a cancellation) frees the trial slot and votes
nothing. Time comes from an injected monotonic clock, so the logic is tested without waiting.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Literal, TypeVar

import structlog

__all__ = ["BreakerState", "CircuitBreaker", "StateChange"]

log = structlog.get_logger(__name__)

BreakerState = Literal["closed", "open", "half_open"]

StateChange = Callable[[BreakerState, BreakerState], None]
"""Told ``(before, after)`` whenever the state changes (a caller's own log line or alert)."""

_T = TypeVar("_T")


class CircuitBreaker:
    """The health of one target, as seen by every call that reaches it."""

    def __init__(
        self,
        target: str,
        *,
        failure_threshold: int = 5,
        cooldown: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
        on_change: StateChange | None = None,
    ) -> None:
        if failure_threshold < 1 or cooldown < 0:
            raise ValueError("failure_threshold must be >= 1 and cooldown >= 0")
        self.target = target
        self._threshold = failure_threshold
        self._cooldown = cooldown
        self._clock = clock
        self._on_change = on_change
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
            log.info("circuit_half_open", target=self.target)
            self._move("half_open")
        if self._trial_running:
            return False
        self._trial_running = True
        return True

    def record_success(self) -> None:
        """A call went well: close the circuit."""
        if self._state != "closed":
            log.info("circuit_closed", target=self.target)
        self._failures, self._trial_running = 0, False
        self._move("closed")

    def record_failure(self) -> None:
        """A call failed: count it, and open the circuit at the threshold or after a trial."""
        self._failures += 1
        self._trial_running = False
        if self._state == "half_open" or self._failures >= self._threshold:
            if self._state != "open":
                log.warning("circuit_opened", target=self.target, failures=self._failures)
            self._opened_at = self._clock()
            self._move("open")

    def release(self) -> None:
        """A call ended without a verdict (it was cancelled): let another trial go through."""
        self._trial_running = False

    async def judge(
        self,
        call: Awaitable[_T],
        *,
        succeeded: Callable[[_T], bool],
        failed: Callable[[BaseException], bool | None],
    ) -> _T:
        """Await a call that :meth:`try_acquire` let through, and record its one vote.

        Args:
            succeeded: whether a result the call returned counts as a success.
            failed: for an exception the call raised: ``True`` counts a failure, ``False`` a
                success (the system answered, even if to refuse), ``None`` no verdict (a bug
                or a cancellation says nothing about the target's health). The exception
                propagates in every case.
        """
        try:
            result = await call
        except BaseException as exc:
            verdict = failed(exc)
            if verdict is None:
                self.release()
            elif verdict:
                self.record_failure()
            else:
                self.record_success()
            raise
        if succeeded(result):
            self.record_success()
        else:
            self.record_failure()
        return result

    def _move(self, state: BreakerState) -> None:
        before, self._state = self._state, state
        if before != state and self._on_change is not None:
            self._on_change(before, state)
