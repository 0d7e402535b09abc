"""What people do on the AI surface, as the bot receives it: the agent DM opened, assistant
threads and context changes, Stop on a working session, native feedback clicks; delivered
signed over HTTP and over Socket Mode."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.socket_mode.async_client import AsyncBaseSocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse
from slack_sdk.web.async_client import AsyncWebClient

from sandbox import SlackSandbox

from .receiver import Receiver

FEEDBACK_BLOCK = {
    "type": "context_actions",
    "block_id": "fb",
    "elements": [
        {
            "type": "feedback_buttons",
            "action_id": "feedback",
            "positive_button": {"text": {"type": "plain_text", "text": "👍"}, "value": "up"},
            "negative_button": {"text": {"type": "plain_text", "text": "👎"}, "value": "down"},
        }
    ],
}


async def test_opening_the_agent_dm(sandbox: SlackSandbox, receiver: Receiver) -> None:
    """app_home_opened with tab "messages", in the person's DM, signed, with the context of
    the channel they were viewing."""
    delivery = await sandbox.people.open_agent_dm(user="U0BOB", context_channel="C0GENERAL")
    received = receiver.received[-1]
    assert delivery.acked
    assert received.signature_ok
    event = received.json()["event"]
    assert event["type"] == "app_home_opened"
    assert (event["user"], event["channel"], event["tab"]) == ("U0BOB", "D0BOB", "messages")
    assert event["context"] == {
        "entities": [
            {"type": "slack#/types/channel_id", "value": "C0GENERAL", "team_id": "T0SANDBOX"}
        ]
    }
    await sandbox.people.open_agent_dm()
    assert "context" not in receiver.received[-1].json()["event"]


async def test_an_assistant_thread_starts_and_follows_the_context(
    sandbox: SlackSandbox, receiver: Receiver, client: AsyncWebClient
) -> None:
    """assistant_thread_started names a new thread in the DM (the bot may reply in it);
    assistant_thread_context_changed follows the channel the person views."""
    started = await sandbox.people.start_assistant_thread(context_channel="C0GENERAL")
    event = receiver.received[-1].json()["event"]
    assert event["type"] == "assistant_thread_started"
    assert event["assistant_thread"] == {
        "user_id": "U0ALICE",
        "context": {"channel_id": "C0GENERAL", "team_id": "T0SANDBOX"},
        "channel_id": "D0ALICE",
        "thread_ts": started.ts,
    }
    assert (started.channel, started.deliveries[0].acked) == ("D0ALICE", True)
    await client.chat_postMessage(channel="D0ALICE", thread_ts=started.ts, text="How can I help?")
    await client.assistant_threads_setTitle(channel_id="D0ALICE", thread_ts=started.ts, title="Q")
    root = sandbox.workspace.store.get("D0ALICE", started.ts)
    assert root is not None
    assert (root["subtype"], root["assistant_app_thread"]["title"]) == ("assistant_app_thread", "Q")
    await sandbox.people.change_thread_context(started.ts, "G0PRIVATE")
    changed = receiver.received[-1].json()["event"]
    assert changed["type"] == "assistant_thread_context_changed"
    assert changed["assistant_thread"]["context"]["channel_id"] == "G0PRIVATE"


async def test_app_context_changes(sandbox: SlackSandbox, receiver: Receiver) -> None:
    """app_context_changed carries what the person views, or an empty context."""
    await sandbox.people.change_app_context("C0RANDOM", user="U0BOB")
    event = receiver.received[-1].json()["event"]
    assert (event["type"], event["user"], event["channel"]) == (
        "app_context_changed",
        "U0BOB",
        "D0BOB",
    )
    assert event["context"]["entities"][0]["value"] == "C0RANDOM"
    await sandbox.people.change_app_context(None)
    assert receiver.received[-1].json()["event"]["context"] == {}


async def _working_session(client: AsyncWebClient, sandbox: SlackSandbox) -> tuple[str, str]:
    """A question in #general with a processing session and a stream running: (thread, stream)."""
    question = (await sandbox.people.say("<@U0BOT> check api")).ts
    await client.agents_sessions_setStatus(
        channel_id="C0GENERAL", thread_ts=question, status="processing"
    )
    stream = await client.chat_startStream(
        channel="C0GENERAL",
        thread_ts=question,
        markdown_text="Checking",
        recipient_team_id="T0SANDBOX",
        recipient_user_id="U0ALICE",
    )
    return question, str(stream["ts"])


async def test_stop_ends_the_threads_streams_and_tells_the_app(
    client: AsyncWebClient, sandbox: SlackSandbox, receiver: Receiver
) -> None:
    """Stop on a processing session stops its streams server-side (appends are then
    stopped_by_user, the text stays), delivers agent_session_stopped listing them, leaves
    the session's status to the app, and chat.stopStream still finishes the message."""
    elsewhere, other = await _working_session(client, sandbox)
    question, ts = await _working_session(client, sandbox)
    delivery = await sandbox.people.stop(question, user="U0BOB")
    assert delivery.acked
    event = receiver.received[-1].json()["event"]
    assert event["type"] == "agent_session_stopped"
    assert (event["user"], event["channel"], event["thread_ts"]) == ("U0BOB", "C0GENERAL", question)
    assert event["streaming_message_ts"] == [ts]
    stream = sandbox.streams.get(ts)
    assert stream is not None
    assert (stream.state, stream.stopped_by, stream.text) == (
        "stopped_by_user",
        "U0BOB",
        "Checking",
    )
    with pytest.raises(SlackApiError) as info:
        await client.chat_appendStream(channel="C0GENERAL", ts=ts, markdown_text="more")
    assert info.value.response["error"] == "stopped_by_user"
    assert [s.ts for s in sandbox.streams.streaming_in("C0GENERAL", elsewhere)] == [other]
    session = sandbox.assistant.session("C0GENERAL", question)
    assert session is not None
    assert session.status == "processing"
    await client.chat_stopStream(
        channel="C0GENERAL", ts=ts, markdown_text=" (stopped)", session_status="active"
    )
    assert stream.state == "stopped"
    assert stream.text == "Checking (stopped)"
    assert session.status == "active"


async def test_stop_without_a_stream_still_tells_the_app(
    client: AsyncWebClient, sandbox: SlackSandbox, receiver: Receiver
) -> None:
    """With no stream running the event lists none; without a processing session there is
    no Stop button to click."""
    question = (await sandbox.people.say("<@U0BOT> check api")).ts
    with pytest.raises(ValueError, match="no Stop button"):
        await sandbox.people.stop(question)
    await client.agents_sessions_setStatus(
        channel_id="C0GENERAL", thread_ts=question, status="processing"
    )
    await sandbox.people.stop(question)
    assert receiver.received[-1].json()["event"]["streaming_message_ts"] == []
    await client.agents_sessions_setStatus(
        channel_id="C0GENERAL", thread_ts=question, status="active"
    )
    with pytest.raises(ValueError, match="'active'"):
        await sandbox.people.stop(question)


async def test_native_feedback_clicks(
    client: AsyncWebClient, sandbox: SlackSandbox, receiver: Receiver
) -> None:
    """A click on 👍 or 👎 of feedback_buttons is a block_actions payload whose action has
    type feedback_buttons and the clicked button's value and text."""
    posted = await client.chat_postMessage(
        channel="C0GENERAL", text="Answer", blocks=[FEEDBACK_BLOCK]
    )
    ts = posted["ts"]
    await sandbox.people.give_feedback(ts, positive=False, user="U0BOB")
    payload = receiver.received[-1].payload()
    assert payload["type"] == "block_actions"
    assert payload["user"]["id"] == "U0BOB"
    assert payload["container"]["message_ts"] == ts
    assert payload["message"]["blocks"] == [FEEDBACK_BLOCK]
    (action,) = payload["actions"]
    assert {k: action[k] for k in ("type", "action_id", "block_id", "value")} == {
        "type": "feedback_buttons",
        "action_id": "feedback",
        "block_id": "fb",
        "value": "down",
    }
    assert action["text"] == {"type": "plain_text", "text": "👎"}
    await sandbox.people.give_feedback(ts, positive=True)
    assert receiver.received[-1].payload()["actions"][0]["value"] == "up"
    plain = (await client.chat_postMessage(channel="C0GENERAL", text="no buttons"))["ts"]
    with pytest.raises(ValueError, match="no feedback buttons"):
        await sandbox.people.give_feedback(plain, positive=True)


class _SocketBot:
    """A Socket Mode app that acks every envelope and keeps what it got."""

    def __init__(self) -> None:
        self.payloads: list[dict[str, Any]] = []

    async def on_request(
        self, client: AsyncBaseSocketModeClient, request: SocketModeRequest
    ) -> None:
        self.payloads.append(request.payload)
        await client.send_socket_mode_response(SocketModeResponse(envelope_id=request.envelope_id))


@pytest.fixture
async def socket_pair() -> AsyncIterator[tuple[SlackSandbox, _SocketBot]]:
    """A sandbox delivering over Socket Mode to a connected SDK client."""
    async with SlackSandbox(delivery="socket", socket_ack_timeout=2.0) as sandbox:
        bot = _SocketBot()
        client = SocketModeClient(
            app_token=sandbox.app_token,
            web_client=AsyncWebClient(token=sandbox.bot_token, base_url=sandbox.api_url),
        )
        client.socket_mode_request_listeners.append(bot.on_request)
        await client.connect()
        await sandbox.socket.wait_connected()
        try:
            yield sandbox, bot
        finally:
            await client.close()


async def test_ai_surface_events_arrive_over_socket_mode(
    socket_pair: tuple[SlackSandbox, _SocketBot],
) -> None:
    """The agent DM, Stop and feedback clicks arrive as Socket Mode envelopes, acked."""
    sandbox, bot = socket_pair
    web = AsyncWebClient(token=sandbox.bot_token, base_url=sandbox.api_url)
    opened = await sandbox.people.open_agent_dm()
    question, _ = await _working_session(web, sandbox)
    stopped = await sandbox.people.stop(question)
    ts = (await web.chat_postMessage(channel="C0GENERAL", text="A", blocks=[FEEDBACK_BLOCK]))["ts"]
    clicked = await sandbox.people.give_feedback(ts, positive=True)
    assert [opened.acked, stopped.acked, clicked.acked] == [True, True, True]
    kinds = [p.get("event", {}).get("type") or p.get("type") for p in bot.payloads]
    assert kinds[0] == "app_home_opened"
    assert "agent_session_stopped" in kinds
    assert kinds[-1] == "block_actions"
