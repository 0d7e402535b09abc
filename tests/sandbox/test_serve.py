"""``serve()``: the sandbox as a long-running process for the ``switchboard sandbox`` CLI."""

from __future__ import annotations

import asyncio

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from sandbox import SlackSandbox, serve


async def test_serve_runs_until_cancelled() -> None:
    """serve() answers the Web API until cancelled, then stops cleanly."""
    ready: asyncio.Future[SlackSandbox] = asyncio.get_running_loop().create_future()
    server = asyncio.create_task(
        serve(host="127.0.0.1", port=0, signing_secret="s", on_ready=ready.set_result)
    )
    sandbox = await asyncio.wait_for(ready, timeout=5)
    client = AsyncWebClient(token=sandbox.bot_token, base_url=sandbox.api_url)
    assert (await client.auth_test())["user_id"] == "U0BOT"
    server.cancel()
    with pytest.raises(asyncio.CancelledError):
        await server
    with pytest.raises(RuntimeError, match="not running"):
        _ = sandbox.base_url


async def test_a_sandbox_needs_starting_and_a_request_url() -> None:
    """Using a sandbox before start() or without a request_url fails loudly."""
    sandbox = SlackSandbox()
    with pytest.raises(RuntimeError, match="start"):
        _ = sandbox.api_url
    async with sandbox:
        with pytest.raises(RuntimeError, match="request_url"):
            await sandbox.driver.send_event({"type": "app_home_opened"})
        with pytest.raises(ValueError, match="not a member"):
            await sandbox.people.say("hi", user="U0BOB", channel="G0PRIVATE")
