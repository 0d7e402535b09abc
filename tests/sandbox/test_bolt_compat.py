"""Slack Bolt (the bot's framework) accepts the sandbox's payloads and its Web API: the
proof that the sandbox speaks Slack for the subset the bot uses."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from sandbox import SlackSandbox

from .receiver import SIGNING_SECRET

BUTTON = {
    "type": "actions",
    "block_id": "b",
    "elements": [
        {
            "type": "button",
            "action_id": "ok",
            "text": {"type": "plain_text", "text": "OK"},
            "value": "v",
        }
    ],
}


def _bolt_app(sandbox: SlackSandbox, seen: list[str]) -> AsyncApp:
    client = AsyncWebClient(token=sandbox.bot_token, base_url=sandbox.api_url)
    app = AsyncApp(client=client, signing_secret=SIGNING_SECRET)

    @app.event("app_mention")
    async def on_mention(event: dict[str, Any], say: Any) -> None:
        seen.append("app_mention")
        await say(text="on it", thread_ts=event["ts"], blocks=[BUTTON])

    @app.event("message")
    async def on_message() -> None:
        seen.append("message")

    @app.command("/ops")
    async def on_ops(ack: Any, respond: Any, command: dict[str, Any]) -> None:
        await ack()
        await respond(text=f"ran {command['text']}")

    @app.action("ok")
    async def on_ok(ack: Any, respond: Any) -> None:
        await ack()
        await respond(text="done", replace_original=True)

    return app


@pytest.fixture
async def bolt_http() -> AsyncIterator[tuple[SlackSandbox, list[str]]]:
    """A sandbox delivering to a Bolt app served by Bolt's own aiohttp server."""
    seen: list[str] = []
    async with SlackSandbox(signing_secret=SIGNING_SECRET) as sandbox:
        runner = web.AppRunner(_bolt_app(sandbox, seen).web_app(path="/slack/events"))
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        sandbox.driver.request_url = f"http://127.0.0.1:{runner.addresses[0][1]}/slack/events"
        yield sandbox, seen
        await runner.cleanup()


async def test_bolt_over_http(bolt_http: tuple[SlackSandbox, list[str]]) -> None:
    """Bolt verifies, acks and handles events, commands and clicks; its replies land."""
    sandbox, seen = bolt_http
    assert (await sandbox.driver.verify_url("c")).json() == {"challenge": "c"}
    sent = await sandbox.people.say("<@U0BOT> hello")
    assert [d.status for d in sent.deliveries] == [200, 200]
    reply = await sandbox.calls.wait_for("chat.postMessage")
    assert reply.args["thread_ts"] == sent.ts
    assert sorted(seen) == ["app_mention", "message"]
    assert (await sandbox.people.run_command("/ops", "deploy")).status == 200
    ran = await sandbox.calls.wait_for("response_url")
    assert ran.args["text"] == "ran deploy"
    assert (await sandbox.people.click(reply.response["ts"], "ok")).status == 200
    await sandbox.calls.wait_for("response_url", count=2)
    assert sandbox.workspace.store.thread("C0GENERAL", sent.ts)[-1]["text"] == "done"
    forged = await sandbox.driver.send_event({"type": "app_home_opened"}, signature="forged")
    assert forged.status == 401


async def test_bolt_over_socket_mode() -> None:
    """Bolt's Socket Mode handler connects, acks and replies through the sandbox."""
    seen: list[str] = []
    async with SlackSandbox(signing_secret=SIGNING_SECRET, delivery="socket") as sandbox:
        app = _bolt_app(sandbox, seen)
        handler = AsyncSocketModeHandler(app, app_token=sandbox.app_token, web_client=app.client)
        await handler.connect_async()
        try:
            await sandbox.socket.wait_connected()
            sent = await sandbox.people.say("<@U0BOT> hello")
            reply = await sandbox.calls.wait_for("chat.postMessage")
        finally:
            await handler.close_async()
    assert [d.acked for d in sent.deliveries] == [True, True]
    assert reply.args["thread_ts"] == sent.ts
