"""Fixtures: the scripted fake API, a client session, and a sleep that only records."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from ..fakes import RecordingSleep
from .fake_api import FakeApi


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
