"""The sandbox as a whole: its package example holds, and it starts once and closes once."""

from __future__ import annotations

import pytest
from aiohttp import web
from slack_sdk.web.async_client import AsyncWebClient

from sandbox import SlackSandbox

from .receiver import SIGNING_SECRET, Received, Receiver


async def test_the_package_example_holds(receiver: Receiver) -> None:
    """The example in the package docstring: a person mentions the bot, the bot's answer
    (here posted by the receiver standing in for the bot) is awaited in the call log."""
    async with SlackSandbox(signing_secret=SIGNING_SECRET) as sb:
        client = AsyncWebClient(token=sb.bot_token, base_url=sb.api_url)

        async def answer(received: Received) -> web.Response:
            event = received.json()["event"]
            await client.chat_postMessage(channel=event["channel"], text="on it")
            return web.Response(status=200)

        receiver.respond = answer
        sb.driver.request_url = receiver.url
        sent = await sb.people.say("<@U0BOT> deploy api")
        reply = await sb.calls.wait_for("chat.postMessage")
        assert sent.deliveries and all(d.acked for d in sent.deliveries)
        assert reply.args["text"] == "on it"
        if client.session is not None:
            await client.session.close()


async def test_a_sandbox_starts_once_and_closes_idempotently() -> None:
    """Starting twice is refused; after close (twice is harmless) the URLs and deliveries
    are refused too."""
    sandbox = SlackSandbox()
    with pytest.raises(RuntimeError):
        _ = sandbox.base_url
    await sandbox.start()
    assert sandbox.api_url == f"http://127.0.0.1:{sandbox.port}/api/"
    with pytest.raises(RuntimeError):
        await sandbox.start()
    await sandbox.close()
    await sandbox.close()
    with pytest.raises(RuntimeError):
        _ = sandbox.base_url
    with pytest.raises(RuntimeError):
        await sandbox.driver.send_event({"type": "app_home_opened"})
