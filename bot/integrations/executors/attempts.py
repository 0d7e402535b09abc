"""One run of an action: its attempts under the executor policy, and how one ends.

Every executor runs through :func:`run_attempts`, so each logs the one ``action_executed``
line and retries only as :func:`~bot.integrations.resilience.executor_policy` allows.
:func:`interrupted` is the rule for an attempt cut off after it may have acted.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import structlog

from agents.actions.execution import ExecutionResult
from bot.integrations.resilience import MAX_ATTEMPTS, Attempt, Counted, Sleep, executor_policy

__all__ = ["ExecutorAttempt", "interrupted", "run_attempts"]

log = structlog.get_logger(__name__)

ExecutorAttempt = Attempt[ExecutionResult]


async def run_attempts(
    attempt: Callable[[int], Awaitable[ExecutorAttempt]],
    *,
    action: str,
    target: str,
    safe_to_retry: bool,
    sleep: Sleep,
    attempts: int = MAX_ATTEMPTS,
) -> ExecutionResult:
    """Run ``attempt(number)`` under the executor policy; the final attempt's result."""
    policy = executor_policy(
        attempts=attempts, safe_to_retry=safe_to_retry, sleep=sleep, action=action
    )
    counted = Counted(attempt)
    final: ExecutorAttempt = await policy(counted)
    log.info(
        "action_executed",
        action=action,
        target=target,
        outcome=final.result.outcome,
        attempts=counted.made,
    )
    return final.result


def interrupted(
    what: str, number: int, *, idempotent: bool, partly: bool = False
) -> ExecutorAttempt:
    """An attempt cut off (a timeout, a dropped connection) after it may have acted: transient
    either way; ``unknown`` unless the action is idempotent, since it may have (``partly``)
    happened."""
    if idempotent:
        return Attempt(ExecutionResult("failed", f"{what} (attempt {number})"), transient=True)
    effect = "it may have partly happened" if partly else "it may have happened"
    summary = f"{what} (attempt {number}); {effect}"
    return Attempt(ExecutionResult("unknown", summary), transient=True)
