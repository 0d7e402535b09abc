"""Fixtures: the scripted fake API, a client session, and a sleep that only records."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from .fake_api import FakeApi


class RecordingSleep:
    """Stands in for ``asyncio.sleep`` in retry policies: records each wait, waits for none."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
async def api() -> AsyncIterator[FakeApi]:
    """A running fake API on 127.0.0.1 and an ephemeral port."""
    fake = FakeApi()
    await fake.start()
    yield fake
    await fake.close()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    """One client session, as the bot shares one."""
    async with aiohttp.ClientSession() as client:
        yield client


@pytest.fixture
def sleep() -> RecordingSleep:
    """The recorded waits of the retry policy."""
    return RecordingSleep()
