"""The backoff shared by owed replies and owed approval notices."""

from __future__ import annotations

import asyncio

from handlers.retry_timer import RETRY_EVERY_MAX, RetryTimer


async def test_back_off_doubles_from_the_first_delay_up_to_the_cap() -> None:
    timer = RetryTimer(1.0)
    delays = [timer.back_off(lambda: None) for _ in range(6)]
    timer.cancel()
    assert delays == [1.0, 2.0, 4.0, 8.0, RETRY_EVERY_MAX, RETRY_EVERY_MAX]
    assert timer.tries == 6
    assert not timer.waiting


async def test_a_scheduled_try_fires_once_and_is_then_no_longer_waiting() -> None:
    fired = asyncio.Event()
    calls: list[str] = []
    timer = RetryTimer(0.0)

    def fire() -> None:
        calls.append("fired")
        fired.set()

    timer.back_off(fire)
    assert timer.waiting
    await asyncio.wait_for(fired.wait(), timeout=5)
    assert calls == ["fired"]
    assert not timer.waiting


async def test_scheduling_again_replaces_the_try_scheduled_so_far() -> None:
    fired = asyncio.Event()
    calls: list[str] = []
    timer = RetryTimer(1.0)
    timer.back_off(lambda: calls.append("late"))  # one second out: replaced before it fires

    def now() -> None:
        calls.append("now")
        fired.set()

    timer.schedule(now, 0.0)
    await asyncio.wait_for(fired.wait(), timeout=5)
    assert calls == ["now"]
    assert timer.tries == 1  # hurrying a try is no new backoff step


async def test_cancel_drops_the_scheduled_try() -> None:
    calls: list[str] = []
    timer = RetryTimer(0.0)
    timer.back_off(lambda: calls.append("fired"))
    timer.cancel()
    done = asyncio.Event()
    asyncio.get_running_loop().call_later(0.0, done.set)  # after the cancelled try's time
    await asyncio.wait_for(done.wait(), timeout=5)
    assert calls == []
    assert not timer.waiting
