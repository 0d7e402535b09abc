"""The named retry policies: bounded by attempts and by the total budget, jittered, honouring
the server's ``Retry-After``; the sleep is the test's, so nothing waits."""

from __future__ import annotations

import pytest
from structlog.testing import capture_logs

from agents.kernel.errors import ProviderError, ProviderFailure
from bot.integrations.resilience import (
    BUDGET_SECONDS,
    MAX_ATTEMPTS,
    Attempt,
    Counted,
    executor_policy,
    provider_policy,
)
from bot.integrations.resilience.retry import (
    wait_larger_of_retry_after_and_jitter,
    wait_retry_after_else_jitter,
)

from ..fakes import RecordingSleep
from .conftest import state_after


def attempts_of(*outcomes: Attempt[str] | BaseException) -> Counted[Attempt[str]]:
    """An attempt function returning (or raising) the given outcomes in turn."""
    queue = list(outcomes)

    async def attempt(_number: int) -> Attempt[str]:
        outcome = queue.pop(0)
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    return Counted(attempt)


def failing(*kinds: ProviderFailure, retry_after: float | None = None) -> Counted[str]:
    """A provider call failing with the given kinds in turn, then answering ``ok``."""
    queue = list(kinds)

    async def attempt(_number: int) -> str:
        if not queue:
            return "ok"
        raise ProviderError("p", queue.pop(0), "failed", retry_after=retry_after)

    return Counted(attempt)


TRANSIENT = Attempt("failed", transient=True)


async def test_executor_policy_retries_transient_attempts_up_to_the_bound() -> None:
    """Transient attempts are retried, never beyond ``MAX_ATTEMPTS`` whatever was asked; when
    the policy gives up, the last attempt is the answer."""
    sleep = RecordingSleep()
    policy = executor_policy(attempts=10, safe_to_retry=True, sleep=sleep, action="deploy")
    counted = attempts_of(*[TRANSIENT] * 5)
    with capture_logs() as logs:
        final = await policy(counted)
    assert final is TRANSIENT and counted.made == MAX_ATTEMPTS == 3
    assert len(sleep.waits) == 2 and all(0 <= wait <= 8 for wait in sleep.waits)
    assert [entry["event"] for entry in logs] == ["executor_retry_scheduled"] * 2


async def test_executor_policy_stops_at_success_or_a_final_attempt() -> None:
    """A success or a non-transient attempt ends the run at once."""
    for last in (Attempt("succeeded"), Attempt("failed")):
        counted = attempts_of(TRANSIENT, last, TRANSIENT)
        policy = executor_policy(attempts=3, safe_to_retry=True, sleep=RecordingSleep(), action="a")
        assert await policy(counted) is last and counted.made == 2


async def test_executor_policy_runs_once_when_retrying_is_unsafe() -> None:
    """A call that is neither idempotent nor keyed gets exactly one attempt."""
    sleep = RecordingSleep()
    policy = executor_policy(attempts=3, safe_to_retry=False, sleep=sleep, action="a")
    counted = attempts_of(TRANSIENT, Attempt("succeeded"))
    assert await policy(counted) is TRANSIENT
    assert counted.made == 1 and sleep.waits == []


async def test_executor_policy_never_retries_an_exception() -> None:
    """An exception is a bug, not a transient failure: it propagates after one attempt."""
    counted = attempts_of(RuntimeError("bug"), Attempt("succeeded"))
    policy = executor_policy(attempts=3, safe_to_retry=True, sleep=RecordingSleep(), action="a")
    with pytest.raises(RuntimeError, match="bug"):
        await policy(counted)
    assert counted.made == 1


async def test_executor_policy_waits_as_the_server_asked() -> None:
    """A ``Retry-After`` is the wait, exactly."""
    sleep = RecordingSleep()
    policy = executor_policy(attempts=3, safe_to_retry=True, sleep=sleep, action="a")
    asked = Attempt("failed", transient=True, retry_after=1.5)
    assert (await policy(attempts_of(asked, Attempt("succeeded")))).result == "succeeded"
    assert sleep.waits == [1.5]


def test_executor_wait_is_capped_by_the_budget_left() -> None:
    """A ``Retry-After`` longer than what is left of the budget is cut to it; without one,
    the wait is full jitter (at most 0.5 s after the first attempt), also within the budget."""
    asked = Attempt("failed", transient=True, retry_after=3600)
    assert wait_retry_after_else_jitter(state_after(asked, elapsed=5)) == BUDGET_SECONDS - 5
    assert wait_retry_after_else_jitter(state_after(asked, elapsed=25)) == 0
    for _ in range(20):
        assert 0 <= wait_retry_after_else_jitter(state_after(TRANSIENT)) <= 0.5
    assert wait_retry_after_else_jitter(state_after(TRANSIENT, attempt=9, elapsed=19.5)) <= 0.5


def test_policies_stop_when_the_budget_is_spent() -> None:
    """Both policies stop once ``BUDGET_SECONDS`` have passed, attempts left or not."""
    executor = executor_policy(attempts=3, safe_to_retry=True, sleep=RecordingSleep(), action="a")
    provider = provider_policy(provider="p", attempts=3, sleep=RecordingSleep())
    error = ProviderError("p", "server", "HTTP 500")
    assert not executor.stop(state_after(TRANSIENT, elapsed=BUDGET_SECONDS - 0.1))
    assert executor.stop(state_after(TRANSIENT, elapsed=BUDGET_SECONDS))
    assert not provider.stop(state_after(error, elapsed=BUDGET_SECONDS - 0.1))
    assert provider.stop(state_after(error, elapsed=BUDGET_SECONDS))


async def test_provider_policy_retries_transient_kinds_and_raises_the_last() -> None:
    """``server`` (like ``rate_limited``, ``timeout``, ``connection``) is retried up to the
    configured attempts; the last failure is raised as it is."""
    sleep = RecordingSleep()
    counted = failing("server", "timeout", "connection", "rate_limited")
    with capture_logs() as logs, pytest.raises(ProviderError) as caught:
        await provider_policy(provider="p", attempts=3, sleep=sleep)(counted)
    assert caught.value.kind == "connection" and counted.made == 3
    assert [(e["event"], e["kind"]) for e in logs] == [
        ("llm_retry_scheduled", "server"),
        ("llm_retry_scheduled", "timeout"),
    ]
    counted = failing("server")
    assert await provider_policy(provider="p", attempts=2, sleep=sleep)(counted) == "ok"


@pytest.mark.parametrize("kind", ["auth", "bad_request", "bad_response"])
async def test_provider_policy_does_not_retry_other_kinds(kind: ProviderFailure) -> None:
    """A failure another attempt would meet again is raised after one attempt."""
    counted = failing(kind)
    with pytest.raises(ProviderError, match=kind):
        await provider_policy(provider="p", attempts=3, sleep=RecordingSleep())(counted)
    assert counted.made == 1


async def test_provider_policy_waits_at_least_the_retry_after() -> None:
    """The wait is the larger of the provider's ``Retry-After`` and jitter."""
    sleep = RecordingSleep()
    counted = failing("rate_limited", retry_after=2)
    assert await provider_policy(provider="p", attempts=3, sleep=sleep)(counted) == "ok"
    assert sleep.waits == [2]
    error = ProviderError("p", "rate_limited", "HTTP 429", retry_after=0.0)
    assert 0 <= wait_larger_of_retry_after_and_jitter(state_after(error)) <= 0.5


async def test_provider_policy_gives_up_on_a_retry_after_beyond_the_budget() -> None:
    """Asked to wait longer than the budget has left, the call ends at once, unwaited."""
    sleep = RecordingSleep()
    counted = failing("rate_limited", retry_after=BUDGET_SECONDS + 1)
    with pytest.raises(ProviderError) as caught:
        await provider_policy(provider="p", attempts=3, sleep=sleep)(counted)
    assert caught.value.retry_after == BUDGET_SECONDS + 1
    assert counted.made == 1 and sleep.waits == []
