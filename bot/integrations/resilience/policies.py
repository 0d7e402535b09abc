"""The named retry policies of our integrations, composed from :mod:`.retry`'s parts.

:func:`executor_policy`: one run of an action. Attempts return an :class:`~.retry.Attempt`;
only a transient one is retried (a connection that could not be made, a timeout, HTTP
408/429/500/502/503/504), and only when running again is safe: the action is idempotent, or
every attempt carries the same idempotency key. The wait is the server's ``Retry-After``
(capped by the budget) or full jitter. When the policy gives up, the last attempt is the
answer; an exception (a bug) is never retried.

:func:`provider_policy`: one LLM provider call. A chat completion changes nothing, so asking
again is safe; only transient :class:`~agents.kernel.errors.ProviderError` kinds
(:data:`TRANSIENT`) are retried. The wait is the larger of the provider's ``Retry-After`` and
full jitter; a ``Retry-After`` beyond the budget ends the call at once. The last failure is
raised as it is. A streamed call is retried only until part of its answer has been delivered
to the caller: asking again after that would deliver that part twice.

:func:`api_read_policy`: one read of a REST API (or a write that carries its own
deduplication key, such as a PagerDuty event): the seam's transient errors are retried (the
caller says which), waiting the server's ``Retry-After`` or full jitter; a ``Retry-After``
beyond the budget ends the call at once, and the last error is raised as it is.

:func:`reconnect_policy`: a dependency that is down, tried again in the background until it
answers (an MCP server unavailable at start-up): no bound on attempts, but every wait is
bounded, growing exponentially from ``first`` to ``cap`` seconds with up to ``first`` of
jitter, so that replicas that lost a server together do not knock on it together.
"""

from __future__ import annotations

from collections.abc import Callable

import structlog
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    retry_if_result,
    stop_never,
    wait_exponential_jitter,
)
from tenacity.retry import retry_base
from tenacity.stop import stop_base

from agents.kernel.errors import ProviderError, ProviderFailure
from bot.integrations.resilience.retry import (
    NO_RETRY,
    Attempt,
    Sleep,
    bounded,
    stop_if_retry_after_beyond_budget,
    wait_larger_of_retry_after_and_jitter,
    wait_retry_after_else_jitter,
)

__all__ = [
    "RETRY_TRANSIENT_ATTEMPTS",
    "RETRY_TRANSIENT_PROVIDER_ERRORS",
    "TRANSIENT",
    "api_read_policy",
    "executor_policy",
    "is_transient",
    "provider_policy",
    "reconnect_policy",
]

log = structlog.get_logger(__name__)

TRANSIENT: frozenset[ProviderFailure] = frozenset(
    {"rate_limited", "server", "timeout", "connection"}
)
"""The provider failures another attempt may not meet."""


def is_transient(exc: BaseException) -> bool:
    """A provider failure that another attempt may not meet."""
    return isinstance(exc, ProviderError) and exc.kind in TRANSIENT


RETRY_TRANSIENT_ATTEMPTS = retry_if_result(
    lambda attempt: isinstance(attempt, Attempt) and attempt.transient
)
"""Retry an attempt that ended transiently; an exception (a bug) is never retried."""

RETRY_TRANSIENT_PROVIDER_ERRORS = retry_if_exception(is_transient)
"""Retry a transient :class:`ProviderError`; anything else (a bug, ``auth``) is raised."""


def executor_policy(
    *, attempts: int, safe_to_retry: bool, sleep: Sleep, action: str
) -> AsyncRetrying:
    """The policy for one run of ``action``: up to ``attempts`` (capped at
    :data:`~.retry.MAX_ATTEMPTS`) when ``safe_to_retry``, else exactly one."""
    stop: stop_base = bounded(attempts) if safe_to_retry else NO_RETRY
    return AsyncRetrying(
        stop=stop,
        wait=wait_retry_after_else_jitter,
        retry=RETRY_TRANSIENT_ATTEMPTS,
        sleep=sleep,
        before_sleep=_logged("executor_retry_scheduled", action=action),
        retry_error_callback=_last_attempt,
    )


def _logged(event: str, **fields: str) -> Callable[[RetryCallState], None]:
    """A ``before_sleep`` that logs ``event`` with ``fields``, the attempt and the wait."""

    def before_sleep(state: RetryCallState) -> None:
        log.info(
            event, **fields, attempt=state.attempt_number, wait_s=round(state.upcoming_sleep, 3)
        )

    return before_sleep


def _last_attempt(state: RetryCallState) -> Attempt[object]:
    """When the policy gives up, the last attempt's own result is the answer."""
    assert state.outcome is not None
    last = state.outcome.result()
    assert isinstance(last, Attempt)
    return last


def provider_policy(
    *,
    provider: str,
    attempts: int,
    sleep: Sleep,
    delivered: Callable[[], bool] | None = None,
) -> AsyncRetrying:
    """The policy for one call to ``provider``: up to ``attempts`` (capped at
    :data:`~.retry.MAX_ATTEMPTS`), transient failures only; the last failure is raised.

    Args:
        delivered: for a streamed call, whether part of the answer has reached the caller;
            from then on no failure is retried.
    """
    retry: retry_base = RETRY_TRANSIENT_PROVIDER_ERRORS
    if delivered is not None:
        retry = retry & retry_if_exception(lambda _exc: not delivered())

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
        stop=bounded(attempts) | stop_if_retry_after_beyond_budget(),
        wait=wait_larger_of_retry_after_and_jitter,
        retry=retry,
        sleep=sleep,
        before_sleep=before_sleep,
        reraise=True,
    )


def api_read_policy(
    *, api: str, transient: Callable[[BaseException], bool], sleep: Sleep, attempts: int = 3
) -> AsyncRetrying:
    """The policy for one safe call to ``api``: up to ``attempts`` (capped), only the
    exceptions ``transient`` accepts; the last one is raised (see the module docstring)."""
    return AsyncRetrying(
        stop=bounded(attempts) | stop_if_retry_after_beyond_budget(),
        wait=wait_retry_after_else_jitter,
        retry=retry_if_exception(transient),
        sleep=sleep,
        before_sleep=_logged("api_retry_scheduled", api=api),
        reraise=True,
    )


def reconnect_policy(
    *,
    api: str,
    transient: Callable[[BaseException], bool],
    sleep: Sleep,
    first: float = 1.0,
    cap: float = 60.0,
) -> AsyncRetrying:
    """The policy for reaching ``api`` again in the background: every exception
    ``transient`` accepts is retried, without end, after a wait of ``first`` x 2^n (at most
    ``cap``) plus up to ``first`` of jitter; anything else is raised (see the module
    docstring)."""
    return AsyncRetrying(
        stop=stop_never,
        wait=wait_exponential_jitter(multiplier=first, max=cap, jitter=first),
        retry=retry_if_exception(transient),
        sleep=sleep,
        before_sleep=_logged("reconnect_scheduled", api=api),
        reraise=True,
    )
