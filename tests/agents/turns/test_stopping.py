"""The stop signal: a request is noticed between steps and ends a model call at once."""

from __future__ import annotations

import asyncio

import pytest

from agents.turns.stopping import StopSignal, TurnStopped


async def test_race_returns_the_work_when_nobody_stops() -> None:
    stop = StopSignal()

    async def work() -> int:
        return 7

    assert await stop.race(work()) == 7
    assert stop.requested_by is None
    stop.check()  # nothing to raise


async def test_a_stop_during_the_race_cancels_the_work_before_raising() -> None:
    stop = StopSignal()
    started, ended = asyncio.Event(), asyncio.Event()

    async def work() -> int:
        started.set()
        try:
            await asyncio.Event().wait()
        finally:
            ended.set()
        return 1

    async def press() -> None:
        await started.wait()
        stop.request("U1")

    presser = asyncio.create_task(press())
    with pytest.raises(TurnStopped) as raised:
        await stop.race(work())
    await presser
    assert raised.value.by == "U1" and ended.is_set()


async def test_the_first_person_to_stop_is_kept() -> None:
    stop = StopSignal()
    assert stop.request("U1") is True
    assert stop.request("U2") is False
    with pytest.raises(TurnStopped) as raised:
        stop.check()
    assert raised.value.by == "U1"


async def test_a_turn_already_stopped_does_not_start_the_work() -> None:
    stop = StopSignal()
    stop.request("U1")
    ran = False

    async def work() -> None:
        nonlocal ran
        ran = True

    coroutine = work()
    with pytest.raises(TurnStopped):
        await stop.race(coroutine)
    coroutine.close()
    assert ran is False


async def test_cancelling_the_racer_from_outside_cancels_the_work() -> None:
    """A shutdown cancels the turn: the work ends too, and no stop is claimed."""
    stop = StopSignal()
    started, ended = asyncio.Event(), asyncio.Event()

    async def work() -> None:
        started.set()
        try:
            await asyncio.Event().wait()
        finally:
            ended.set()

    racer = asyncio.create_task(stop.race(work()))
    await started.wait()
    racer.cancel()
    with pytest.raises(asyncio.CancelledError):
        await racer
    assert ended.is_set() and stop.requested_by is None
