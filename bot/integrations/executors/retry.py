"""Retry policies of the executors: named tenacity values, in one place.

Only transient failures are retried (a connection that could not be made, a timeout, HTTP
408/429/500/502/503/504), and only when running again is safe: the action is idempotent, or
every attempt carries the same idempotency key (the http executor always sends one). Waits
use full jitter, or the server's ``Retry-After``; every wait is capped by what is left of the
total budget. At most :data:`MAX_ATTEMPTS` attempts within :data:`MAX_TOTAL_SECONDS`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import structlog
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_result,
    stop_after_attempt,
    stop_after_delay,
    wait_random_exponential,
)
from tenacity.stop import stop_base

from agents.actions.execution import ExecutionResult

__all__ = [
    "JITTER",
    "MAX_ATTEMPTS",
    "MAX_TOTAL_SECONDS",
    "NO_RETRY",
    "RETRY_TRANSIENT",
    "Attempt",
    "Sleep",
    "executor_policy",
    "run_attempts",
    "wait_jitter_or_retry_after",
]

log = structlog.get_logger(__name__)

MAX_ATTEMPTS = 3
MAX_TOTAL_SECONDS = 20.0

Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Attempt:
    """How one attempt ended.

    Attributes:
        transient: worth another attempt (if the policy allows one).
        retry_after: the server's ``Retry-After``, in seconds.
    """

    result: ExecutionResult
    transient: bool = False
    retry_after: float | None = None


JITTER = wait_random_exponential(multiplier=0.5, max=8)
"""Full jitter: a random wait between 0 and 0.5 s x 2^n, at most 8 s."""

RETRY_TRANSIENT = retry_if_result(
    lambda attempt: isinstance(attempt, Attempt) and attempt.transient
)
"""Retry an attempt that ended transiently; an exception (a bug) is never retried."""

NO_RETRY = stop_after_attempt(1)


def wait_jitter_or_retry_after(state: RetryCallState) -> float:
    """The server's ``Retry-After`` if it sent one, else full jitter; never beyond the time
    left of :data:`MAX_TOTAL_SECONDS`."""
    remaining = max(0.0, MAX_TOTAL_SECONDS - (state.seconds_since_start or 0.0))
    outcome = state.outcome
    last = outcome.result() if outcome is not None and not outcome.failed else None
    if isinstance(last, Attempt) and last.retry_after is not None:
        return min(max(last.retry_after, 0.0), remaining)
    return min(JITTER(state), remaining)


def executor_policy(
    *, attempts: int, safe_to_retry: bool, sleep: Sleep, action: str
) -> AsyncRetrying:
    """The policy for one run of ``action``: up to ``attempts`` (capped at
    :data:`MAX_ATTEMPTS`) when ``safe_to_retry``, else exactly one."""
    stop: stop_base = NO_RETRY
    if safe_to_retry:
        bounded = min(max(attempts, 1), MAX_ATTEMPTS)
        stop = stop_after_attempt(bounded) | stop_after_delay(MAX_TOTAL_SECONDS)

    def before_sleep(state: RetryCallState) -> None:
        log.info(
            "executor_retry_scheduled",
            action=action,
            attempt=state.attempt_number,
            wait_s=round(state.upcoming_sleep, 3),
        )

    return AsyncRetrying(
        stop=stop,
        wait=wait_jitter_or_retry_after,
        retry=RETRY_TRANSIENT,
        sleep=sleep,
        before_sleep=before_sleep,
        retry_error_callback=_last_attempt,
    )


def _last_attempt(state: RetryCallState) -> Attempt:
    """When the policy gives up, the last attempt's own result is the answer."""
    assert state.outcome is not None
    last = state.outcome.result()
    assert isinstance(last, Attempt)
    return last


async def run_attempts(
    policy: AsyncRetrying, attempt: Callable[[int], Awaitable[Attempt]]
) -> tuple[Attempt, int]:
    """Run ``attempt(number)`` under ``policy``; the final attempt and how many were made."""
    made = 0

    async def once() -> Attempt:
        nonlocal made
        made += 1
        return await attempt(made)

    final: Attempt = await policy(once)
    return final, made
