"""The provider policy for a streamed call: retried like any call until part of the answer
has been delivered, never after."""

from __future__ import annotations

import pytest

from agents.kernel.errors import ProviderError
from bot.integrations.resilience import Counted, provider_policy

from ..fakes import RecordingSleep


def streaming(*, fail_after_delivery: bool) -> tuple[Counted[str], list[str]]:
    """A streamed call whose first attempt fails with ``connection``, after delivering a
    piece or before; the next attempt answers ``ok``."""
    delivered: list[str] = []

    async def attempt(number: int) -> str:
        if number == 1:
            if fail_after_delivery:
                delivered.append("The ")
            raise ProviderError("p", "connection", "dropped")
        return "ok"

    return Counted(attempt), delivered


async def test_a_failure_before_delivery_is_retried() -> None:
    """Nothing delivered yet: a transient failure is retried as for an unstreamed call."""
    counted, delivered = streaming(fail_after_delivery=False)
    policy = provider_policy(
        provider="p", attempts=3, sleep=RecordingSleep(), delivered=lambda: bool(delivered)
    )
    assert await policy(counted) == "ok"
    assert counted.made == 2


async def test_a_failure_after_delivery_is_raised_at_once() -> None:
    """Once part of the answer is delivered, even a transient failure is raised without a
    wait or another attempt (the caller would get that part twice)."""
    counted, delivered = streaming(fail_after_delivery=True)
    sleep = RecordingSleep()
    policy = provider_policy(
        provider="p", attempts=3, sleep=sleep, delivered=lambda: bool(delivered)
    )
    with pytest.raises(ProviderError, match="connection"):
        await policy(counted)
    assert counted.made == 1 and sleep.waits == []
