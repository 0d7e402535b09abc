"""The parts every retry policy is composed of: bounds, jitter, the server's ``Retry-After``.

One house style for backoff: at most :data:`MAX_ATTEMPTS` attempts within
:data:`BUDGET_SECONDS`, waits of full jitter (:data:`JITTER`) or what the server asked for,
never beyond what is left of the budget. ``Sleep`` is injected so that tests record the waits
instead of taking them. The named policies that compose these are in :mod:`.policies`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from tenacity import RetryCallState, stop_after_attempt, stop_after_delay, wait_random_exponential
from tenacity.stop import stop_base

from agents.kernel.errors import ProviderError

__all__ = [
    "BUDGET_SECONDS",
    "JITTER",
    "MAX_ATTEMPTS",
    "NO_RETRY",
    "Attempt",
    "Counted",
    "Sleep",
    "bounded",
    "remaining",
    "retry_after",
    "stop_if_retry_after_beyond_budget",
    "wait_larger_of_retry_after_and_jitter",
    "wait_retry_after_else_jitter",
]

MAX_ATTEMPTS = 3
"""No call is tried more than this many times, whatever its config says."""

BUDGET_SECONDS = 20.0
"""Every attempt and wait of one call must fit in this many seconds."""

Sleep = Callable[[float], Awaitable[None]]
"""The wait between attempts (``asyncio.sleep``; tests pass one that only records)."""

JITTER = wait_random_exponential(multiplier=0.5, max=8)
"""Full jitter: a random wait between 0 and 0.5 s x 2^n, at most 8 s."""

NO_RETRY = stop_after_attempt(1)
"""One attempt only: running again is not safe."""

_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class Attempt(Generic[_T]):
    """How one attempt ended, for a policy that retries on results rather than exceptions.

    Attributes:
        transient: worth another attempt (if the policy allows one).
        retry_after: the server's ``Retry-After``, in seconds.
    """

    result: _T
    transient: bool = False
    retry_after: float | None = None


class Counted(Generic[_T]):
    """An attempt function for a policy: numbers each attempt (from 1) and counts them, so the
    caller's log line can say how many were made even when the last one raised."""

    def __init__(self, attempt: Callable[[int], Awaitable[_T]]) -> None:
        self._attempt = attempt
        self.made = 0

    async def __call__(self) -> _T:
        """Make the next attempt."""
        self.made += 1
        return await self._attempt(self.made)


def bounded(attempts: int) -> stop_base:
    """Stop after ``attempts`` (clamped to 1..:data:`MAX_ATTEMPTS`) or :data:`BUDGET_SECONDS`."""
    return stop_after_attempt(min(max(attempts, 1), MAX_ATTEMPTS)) | stop_after_delay(
        BUDGET_SECONDS
    )


def remaining(state: RetryCallState) -> float:
    """Seconds left of :data:`BUDGET_SECONDS` for this call."""
    return max(0.0, BUDGET_SECONDS - (state.seconds_since_start or 0.0))


def retry_after(state: RetryCallState) -> float | None:
    """The wait the server asked for after the last attempt: an :class:`Attempt`'s, or a
    :class:`~agents.kernel.errors.ProviderError`'s."""
    outcome = state.outcome
    if outcome is None:
        return None
    if outcome.failed:
        exc = outcome.exception()
        if isinstance(exc, ProviderError):
            return exc.retry_after
        asked = getattr(exc, "retry_after", None)  # another integration's error may say too
        return float(asked) if isinstance(asked, int | float) else None
    last = outcome.result()
    return last.retry_after if isinstance(last, Attempt) else None


def wait_retry_after_else_jitter(state: RetryCallState) -> float:
    """The server's ``Retry-After`` if it sent one, else full jitter; never beyond the time
    left of the budget."""
    asked = retry_after(state)
    if asked is not None:
        return min(max(asked, 0.0), remaining(state))
    return min(JITTER(state), remaining(state))


def wait_larger_of_retry_after_and_jitter(state: RetryCallState) -> float:
    """The larger of the server's ``Retry-After`` and full jitter, within the budget."""
    asked = retry_after(state) or 0.0
    return min(max(asked, JITTER(state)), remaining(state))


class stop_if_retry_after_beyond_budget(stop_base):
    """Stop when the server asks for a longer wait than the budget has left (asking earlier
    would only earn another refusal)."""

    def __call__(self, retry_state: RetryCallState) -> bool:
        """Whether to stop."""
        asked = retry_after(retry_state)
        return asked is not None and asked > remaining(retry_state)
