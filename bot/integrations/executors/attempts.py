"""One run of an action: its attempts under the executor policy, and how one ends.

Every executor runs through :func:`run_attempts`, so each logs the one ``action_executed``
line and retries only as :func:`~bot.integrations.resilience.executor_policy` allows.
:func:`interrupted` is the rule for an attempt cut off after it may have acted; once one was,
only a later attempt that settles it (a success, or a definite refusal) makes the run
anything but ``unknown``: retries that merely failed again say nothing of the first.
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
    cut_off: list[ExecutionResult] = []

    async def noted(number: int) -> ExecutorAttempt:
        made = await attempt(number)
        if made.result.outcome == "unknown":
            cut_off.append(made.result)
        return made

    counted = Counted(noted)
    final: ExecutorAttempt = await policy(counted)
    if cut_off and final.transient and final.result.outcome == "failed":
        final = Attempt(_still_unknown(cut_off[0], final.result), transient=True)
    log.info(
        "action_executed",
        action=action,
        target=target,
        outcome=final.result.outcome,
        attempts=counted.made,
    )
    return final.result


def _still_unknown(cut_off: ExecutionResult, last: ExecutionResult) -> ExecutionResult:
    """A run whose retries failed after an attempt that may have acted: still ``unknown``
    (an idempotent target may well have applied the first), saying both."""
    return ExecutionResult("unknown", f"{cut_off.summary}; then {last.summary}")


def interrupted(
    what: str, number: int, *, idempotent: bool, partly: bool = False
) -> ExecutorAttempt:
    """An attempt cut off (a timeout, a dropped connection) after it may have acted:
    ``unknown``, since it may have (``partly``) happened, and transient either way; the policy
    retries it only where the action is ``idempotent`` (a rerun cannot act twice)."""
    effect = "it may have partly happened" if partly else "it may have happened"
    summary = f"{what} (attempt {number}); {effect}"
    return Attempt(ExecutionResult("unknown", summary), transient=True)
