"""Fixtures: a running sandbox, the SDK client pointed at it, and a receiver standing in for
the bot's HTTP endpoint."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from sandbox import SlackSandbox

from .clock import ManualClock
from .receiver import SIGNING_SECRET, Receiver


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    """A running receiver on an ephemeral port."""
    rx = Receiver()
    await rx.start()
    yield rx
    await rx.close()


@pytest.fixture
async def sandbox(receiver: Receiver) -> AsyncIterator[SlackSandbox]:
    """A running sandbox delivering to the receiver."""
    async with SlackSandbox(signing_secret=SIGNING_SECRET, request_url=receiver.url) as sb:
        yield sb


@pytest.fixture
async def client(sandbox: SlackSandbox) -> AsyncIterator[AsyncWebClient]:
    """The real SDK client, with the bot token, pointed at the sandbox."""
    web_client = AsyncWebClient(token=sandbox.bot_token, base_url=sandbox.api_url)
    yield web_client
    if web_client.session is not None:
        await web_client.session.close()


@pytest.fixture
def clock() -> ManualClock:
    """A clock the test moves by hand."""
    return ManualClock()


@pytest.fixture
async def clocked(receiver: Receiver, clock: ManualClock) -> AsyncIterator[SlackSandbox]:
    """A running sandbox on the manual clock, delivering to the receiver."""
    async with SlackSandbox(
        signing_secret=SIGNING_SECRET, request_url=receiver.url, clock=clock
    ) as sb:
        yield sb


@pytest.fixture
async def clocked_client(clocked: SlackSandbox) -> AsyncIterator[AsyncWebClient]:
    """The real SDK client pointed at the clocked sandbox."""
    web_client = AsyncWebClient(token=clocked.bot_token, base_url=clocked.api_url)
    yield web_client
    if web_client.session is not None:
        await web_client.session.close()
