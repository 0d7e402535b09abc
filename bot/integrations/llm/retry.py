"""The retry policy of provider calls: one named tenacity value.

Only transient failures are retried (``rate_limited``, ``server``, ``timeout``,
``connection``): a chat completion changes nothing, so asking again is safe. At most
``max_attempts`` (never more than three) within :data:`BUDGET_SECONDS`. Each wait is the
larger of the provider's ``Retry-After`` and full jitter, capped by what is left of the budget;
a ``Retry-After`` beyond the budget ends the call at once (asking earlier would only earn
another 429). Jitter, the budget and the ``Sleep`` type are the executors' (one house style
for backoff).
"""

from __future__ import annotations

import structlog
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    stop_after_delay,
)
from tenacity.stop import stop_base

from agents.kernel.errors import ProviderError, ProviderFailure
from bot.integrations.executors.retry import JITTER, MAX_TOTAL_SECONDS, Sleep
from bot.integrations.llm.settings import MAX_ATTEMPTS_LIMIT

__all__ = [
    "BUDGET_SECONDS",
    "RETRY_TRANSIENT_PROVIDER_ERRORS",
    "TRANSIENT",
    "Sleep",
    "is_transient",
    "provider_policy",
    "wait_retry_after_or_jitter",
]

log = structlog.get_logger(__name__)

BUDGET_SECONDS = MAX_TOTAL_SECONDS
"""Every attempt and wait of one call must fit in this many seconds."""

TRANSIENT: frozenset[ProviderFailure] = frozenset(
    {"rate_limited", "server", "timeout", "connection"}
)


def is_transient(exc: BaseException) -> bool:
    """A provider failure that another attempt may not meet."""
    return isinstance(exc, ProviderError) and exc.kind in TRANSIENT


RETRY_TRANSIENT_PROVIDER_ERRORS = retry_if_exception(is_transient)
"""Retry a transient :class:`ProviderError`; anything else (a bug, ``auth``) is raised."""


def _remaining(state: RetryCallState) -> float:
    return max(0.0, BUDGET_SECONDS - (state.seconds_since_start or 0.0))


def _retry_after(state: RetryCallState) -> float | None:
    outcome = state.outcome
    if outcome is None or not outcome.failed:
        return None
    exc = outcome.exception()
    return exc.retry_after if isinstance(exc, ProviderError) else None


def wait_retry_after_or_jitter(state: RetryCallState) -> float:
    """The larger of the provider's ``Retry-After`` and full jitter, within the budget."""
    asked = _retry_after(state) or 0.0
    return min(max(asked, JITTER(state)), _remaining(state))


class _stop_if_retry_after_beyond_budget(stop_base):
    """Stop when the provider asks for a longer wait than the budget has left."""

    def __call__(self, retry_state: RetryCallState) -> bool:
        asked = _retry_after(retry_state)
        return asked is not None and asked > _remaining(retry_state)


def provider_policy(*, provider: str, attempts: int, sleep: Sleep) -> AsyncRetrying:
    """The policy for one call to ``provider``: up to ``attempts`` (capped at three),
    transient failures only; the last failure is raised as it is."""
    bounded = min(max(attempts, 1), MAX_ATTEMPTS_LIMIT)

    def before_sleep(state: RetryCallState) -> None:
        outcome = state.outcome
        exc = outcome.exception() if outcome is not None and outcome.failed else None
        log.info(
            "llm_retry_scheduled",
            provider=provider,
            attempt=state.attempt_number,
            kind=exc.kind if isinstance(exc, ProviderError) else None,
            wait_s=round(state.upcoming_sleep, 3),
        )

    return AsyncRetrying(
        stop=(
            stop_after_attempt(bounded)
            | stop_after_delay(BUDGET_SECONDS)
            | _stop_if_retry_after_beyond_budget()
        ),
        wait=wait_retry_after_or_jitter,
        retry=RETRY_TRANSIENT_PROVIDER_ERRORS,
        sleep=sleep,
        before_sleep=before_sleep,
        reraise=True,
    )
