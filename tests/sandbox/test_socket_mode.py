"""Socket Mode with the real slack_sdk SocketModeClient: hello, envelopes, acks, refresh."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.socket_mode.async_client import AsyncBaseSocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse
from slack_sdk.web.async_client import AsyncWebClient

from sandbox import SlackSandbox


class Bot:
    """A Socket Mode app that acks every envelope (with a payload for slash commands)."""

    def __init__(self) -> None:
        self.requests: list[SocketModeRequest] = []
        self.hellos: list[dict[str, object]] = []

    async def on_request(
        self, client: AsyncBaseSocketModeClient, request: SocketModeRequest
    ) -> None:
        self.requests.append(request)
        payload = {"text": "on it"} if request.type == "slash_commands" else None
        response = SocketModeResponse(envelope_id=request.envelope_id, payload=payload)
        await client.send_socket_mode_response(response)

    async def on_message(
        self, client: AsyncBaseSocketModeClient, message: dict[str, object], raw: str | None
    ) -> None:
        if message.get("type") == "hello":
            self.hellos.append(message)


@pytest.fixture
async def socket_sandbox() -> AsyncIterator[SlackSandbox]:
    """A sandbox that delivers over Socket Mode by default."""
    async with SlackSandbox(delivery="socket", socket_ack_timeout=2.0) as sandbox:
        yield sandbox


async def _connect(sandbox: SlackSandbox, bot: Bot | None) -> SocketModeClient:
    client = SocketModeClient(
        app_token=sandbox.app_token,
        web_client=AsyncWebClient(token=sandbox.bot_token, base_url=sandbox.api_url),
    )
    if bot is not None:
        client.socket_mode_request_listeners.append(bot.on_request)
        client.message_listeners.append(bot.on_message)
    await client.connect()
    await sandbox.socket.wait_connected()
    return client


async def test_sdk_client_receives_and_acks_events(socket_sandbox: SlackSandbox) -> None:
    """The SDK client connects via apps.connections.open, gets hello and acks an event."""
    bot = Bot()
    client = await _connect(socket_sandbox, bot)
    try:
        sent = await socket_sandbox.people.say("<@U0BOT> status")
    finally:
        await client.close()
    assert [d.acked for d in sent.deliveries] == [True, True]
    assert all(d.status is None for d in sent.deliveries)
    assert [r.type for r in bot.requests] == ["events_api", "events_api"]
    message, mention = (r.payload for r in bot.requests)
    assert message["type"] == "event_callback"
    assert message["event_id"] == sent.deliveries[0].event_id
    assert (message["event"]["type"], mention["event"]["type"]) == ("message", "app_mention")
    assert bot.hellos[0]["connection_info"] == {"app_id": "A0SWITCH"}
    assert bot.hellos[0]["num_connections"] == 1
    assert (
        socket_sandbox.calls.for_method("apps.connections.open")[0].token
        == socket_sandbox.app_token
    )


async def test_slash_command_ack_payload(socket_sandbox: SlackSandbox) -> None:
    """A slash command envelope accepts a response payload, returned in the Delivery."""
    bot = Bot()
    client = await _connect(socket_sandbox, bot)
    try:
        delivery = await socket_sandbox.people.run_command("/ops", "help")
    finally:
        await client.close()
    (request,) = bot.requests
    assert request.type == "slash_commands"
    assert request.accepts_response_payload is True
    assert request.payload["command"] == "/ops"
    assert (delivery.acked, delivery.ack_payload) == (True, {"text": "on it"})


async def test_refresh_makes_the_client_reconnect(socket_sandbox: SlackSandbox) -> None:
    """After Slack's disconnect (refresh_requested) the SDK client reconnects and acks again."""
    bot = Bot()
    client = await _connect(socket_sandbox, bot)
    try:
        assert await socket_sandbox.socket.disconnect() == 1
        assert not socket_sandbox.socket.connected
        await socket_sandbox.socket.wait_connected()
        delivery = await socket_sandbox.driver.send_event(
            {"type": "app_home_opened", "user": "U0BOB"}
        )
    finally:
        await client.close()
    assert delivery.acked
    assert socket_sandbox.socket.connections_total == 2
    assert socket_sandbox.calls.count("apps.connections.open") == 2


async def test_unacked_envelopes_time_out() -> None:
    """An envelope nobody acks is not acked; with no client at all it is not_connected."""
    async with SlackSandbox(delivery="socket", socket_ack_timeout=0.1) as sandbox:
        unheard = await sandbox.driver.send_event({"type": "app_home_opened", "user": "U0BOB"})
        client = await _connect(sandbox, bot=None)
        try:
            ignored = await sandbox.driver.send_event({"type": "app_home_opened", "user": "U0BOB"})
        finally:
            await client.close()
    assert (unheard.acked, unheard.error) == (False, "not_connected")
    assert (ignored.acked, ignored.error) == (False, "ack_timeout")
