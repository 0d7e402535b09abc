"""Streaming messages as the real slack_sdk client sees them: chat.startStream, appendStream,
stopStream and the SDK's own chat_stream helper; Slack's checks, states and errors."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import ContextActionsBlock, FeedbackButtonsElement
from slack_sdk.models.blocks.basic_components import FeedbackButtonObject
from slack_sdk.models.messages.chunk import MarkdownTextChunk, PlanUpdateChunk, TaskUpdateChunk
from slack_sdk.web.async_client import AsyncWebClient

from sandbox import Fault, SlackSandbox

from .clock import ManualClock
from .receiver import Receiver

RECIPIENT = {"recipient_team_id": "T0SANDBOX", "recipient_user_id": "U0ALICE"}
FEEDBACK = ContextActionsBlock(
    elements=[
        FeedbackButtonsElement(
            action_id="feedback",
            positive_button=FeedbackButtonObject(text="👍", value="good"),
            negative_button=FeedbackButtonObject(text="👎", value="bad"),
        )
    ]
)


async def _error(call: Awaitable[Any]) -> str:
    with pytest.raises(SlackApiError) as info:
        await call
    return str(info.value.response["error"])


async def _question(sandbox: SlackSandbox, channel: str = "C0GENERAL") -> str:
    sent = await sandbox.people.say("<@U0BOT> how is api?", channel=channel)
    return sent.ts


async def _reply(client: AsyncWebClient, channel: str, thread_ts: str) -> dict[str, Any]:
    replies = await client.conversations_replies(
        channel=channel, ts=thread_ts, include_all_metadata=True
    )
    return dict(replies["messages"][-1])


async def test_a_stream_grows_then_stops_as_a_thread_reply(
    client: AsyncWebClient, sandbox: SlackSandbox
) -> None:
    """start, append and stop build one bot reply in the thread, readable like any message."""
    question = await _question(sandbox)
    started = await client.chat_startStream(
        channel="C0GENERAL", thread_ts=question, markdown_text="API is ", **RECIPIENT
    )
    ts = started["ts"]
    assert started.data == {"ok": True, "channel": "C0GENERAL", "ts": ts}
    assert (await _reply(client, "C0GENERAL", question))["text"] == "API is "
    appended = await client.chat_appendStream(channel="C0GENERAL", ts=ts, markdown_text="up")
    assert appended.data == {"ok": True, "channel": "C0GENERAL", "ts": ts}
    metadata = {"event_type": "switchboard_turn", "event_payload": {"trace_id": "t-1"}}
    stopped = await client.chat_stopStream(
        channel="C0GENERAL", ts=ts, markdown_text=".", blocks=[FEEDBACK], metadata=metadata
    )
    message = await _reply(client, "C0GENERAL", question)
    assert stopped["message"] == message
    assert message["ts"] == ts
    assert message["user"] == "U0BOT"
    assert message["thread_ts"] == question
    assert message["text"] == "API is up."
    assert message["metadata"] == metadata
    assert [b["type"] for b in message["blocks"]] == ["markdown", "context_actions"]
    assert message["blocks"][0]["text"] == "API is up."
    (stream,) = sandbox.streams.in_thread("C0GENERAL", question)
    assert stream is sandbox.streams.get(ts)
    assert (stream.state, stream.calls, stream.recipient_user_id) == ("stopped", 3, "U0ALICE")
    assert sandbox.streams.streaming_in("C0GENERAL", question) == []


async def test_the_sdk_chat_stream_helper_works_end_to_end(
    client: AsyncWebClient, sandbox: SlackSandbox
) -> None:
    """AsyncChatStream buffers small appends into few calls and stops with blocks."""
    question = await _question(sandbox)
    streamer = await client.chat_stream(
        channel="C0GENERAL", thread_ts=question, buffer_size=10, **RECIPIENT
    )
    for piece in ("All ", "services ", "are ", "healthy", "."):
        await streamer.append(markdown_text=piece)
    await streamer.stop(blocks=[FEEDBACK])
    methods = [c.method for c in sandbox.calls.all() if c.method.startswith("chat.")]
    assert methods == ["chat.startStream", "chat.appendStream", "chat.stopStream"]
    message = await _reply(client, "C0GENERAL", question)
    assert message["ts"] == streamer.ts
    assert message["text"] == "All services are healthy."
    assert message["blocks"][-1]["type"] == "context_actions"


async def test_a_short_answer_through_the_helper_starts_empty(
    client: AsyncWebClient, sandbox: SlackSandbox
) -> None:
    """The helper's stop() on an unflushed buffer starts an empty stream, then stops with
    the text: the start needs no content."""
    dm_question = await sandbox.people.say("hi", channel="D0ALICE")
    streamer = await client.chat_stream(channel="D0ALICE", thread_ts=dm_question.ts)
    await streamer.append(markdown_text="Hello!")
    await streamer.stop()
    message = await _reply(client, "D0ALICE", dm_question.ts)
    assert message["text"] == "Hello!"


async def test_a_stream_in_a_channel_needs_its_recipient(
    client: AsyncWebClient, sandbox: SlackSandbox
) -> None:
    """Outside a DM, recipient team and user are required; in a DM they are not."""
    question = await _question(sandbox)
    start = client.chat_startStream
    assert (
        await _error(start(channel="C0GENERAL", thread_ts=question, markdown_text="x"))
        == "missing_recipient_team_id"
    )
    only_team = {"recipient_team_id": "T0SANDBOX"}
    assert (
        await _error(start(channel="C0GENERAL", thread_ts=question, **only_team))
        == "missing_recipient_user_id"
    )
    wrong_user = {**RECIPIENT, "recipient_user_id": "U0NOBODY"}
    assert (
        await _error(start(channel="C0GENERAL", thread_ts=question, **wrong_user))
        == "user_not_found"
    )
    wrong_team = {**RECIPIENT, "recipient_team_id": "T0OTHER"}
    assert (
        await _error(start(channel="C0GENERAL", thread_ts=question, **wrong_team))
        == "team_not_found"
    )
    dm = await sandbox.people.say("hi", channel="D0ALICE")
    assert (await start(channel="D0ALICE", thread_ts=dm.ts, markdown_text="x"))["ok"]
    assert sandbox.workspace.store.thread("C0GENERAL", question)[1:] == []


async def test_a_stream_replies_in_a_thread_that_exists(
    client: AsyncWebClient, sandbox: SlackSandbox
) -> None:
    """Without thread_ts (or with "0", or an unknown ts) a stream is invalid_thread_ts; a
    reply's ts streams into its thread."""
    question = await _question(sandbox)
    start = client.chat_startStream
    no_thread = client.api_call(
        "chat.startStream", json={"channel": "C0GENERAL", "markdown_text": "x", **RECIPIENT}
    )
    assert await _error(no_thread) == "invalid_thread_ts"
    assert await _error(start(channel="C0GENERAL", thread_ts="0", **RECIPIENT)) == (
        "invalid_thread_ts"
    )
    assert await _error(start(channel="C0GENERAL", thread_ts="1.000001", **RECIPIENT)) == (
        "invalid_thread_ts"
    )
    reply = await sandbox.people.say("more", thread_ts=question)
    started = await start(channel="C0GENERAL", thread_ts=reply.ts, **RECIPIENT)
    assert sandbox.workspace.store.get("C0GENERAL", started["ts"])["thread_ts"] == question


async def test_channel_and_content_checks(client: AsyncWebClient, sandbox: SlackSandbox) -> None:
    """Unknown channels, channels without the bot, text over 12,000 characters, a bad
    display mode and malformed chunks are refused with Slack's errors."""
    question = await _question(sandbox)
    start = client.chat_startStream
    assert await _error(start(channel="C0NOPE", thread_ts=question, **RECIPIENT)) == (
        "channel_not_found"
    )
    assert await _error(start(channel="C0RANDOM", thread_ts=question, **RECIPIENT)) == (
        "not_in_channel"
    )
    too_long = "x" * 12_001
    assert (
        await _error(
            start(channel="C0GENERAL", thread_ts=question, markdown_text=too_long, **RECIPIENT)
        )
        == "msg_too_long"
    )
    assert (
        await _error(
            start(channel="C0GENERAL", thread_ts=question, task_display_mode="grid", **RECIPIENT)
        )
        == "invalid_arguments"
    )
    bad_status = [{"type": "task_update", "id": "t1", "title": "Look", "status": "done"}]
    assert (
        await _error(start(channel="C0GENERAL", thread_ts=question, chunks=bad_status, **RECIPIENT))
        == "invalid_chunks"
    )
    unknown = [{"type": "sparkles"}]
    assert (
        await _error(start(channel="C0GENERAL", thread_ts=question, chunks=unknown, **RECIPIENT))
        == "invalid_chunks"
    )
    assert sandbox.streams.all() == []


async def test_tasks_in_a_timeline_sit_between_the_text(
    client: AsyncWebClient, sandbox: SlackSandbox
) -> None:
    """timeline: each task is a task card where it first appeared; updates change it in place
    and every status it went through is kept."""
    question = await _question(sandbox)
    started = await client.chat_startStream(
        channel="C0GENERAL",
        thread_ts=question,
        chunks=[
            MarkdownTextChunk(text="Checking. "),
            TaskUpdateChunk(id="t1", title="Read runbook", status="in_progress"),
        ],
        **RECIPIENT,
    )
    ts = started["ts"]
    await client.chat_appendStream(
        channel="C0GENERAL",
        ts=ts,
        chunks=[
            TaskUpdateChunk(
                id="t1",
                title="Read runbook",
                status="complete",
                output="2 steps",
                sources=[{"type": "url", "url": "https://wiki/x", "text": "Runbook"}],
            ),
            MarkdownTextChunk(text="Done."),
        ],
    )
    blocks = sandbox.workspace.store.get("C0GENERAL", ts)["blocks"]
    assert [b["type"] for b in blocks] == ["markdown", "task_card", "markdown"]
    card = blocks[1]
    assert (card["task_id"], card["status"]) == ("t1", "complete")
    assert card["output"]["elements"][0]["elements"][0]["text"] == "2 steps"
    assert card["sources"][0]["url"] == "https://wiki/x"
    stream = sandbox.streams.get(ts)
    assert stream is not None
    assert stream.tasks["t1"].history == ["in_progress", "complete"]


async def test_a_plan_gathers_its_tasks_in_one_block(
    client: AsyncWebClient, sandbox: SlackSandbox
) -> None:
    """plan: a plan block where the plan began holds every task; its title follows
    plan_update; tasks tick over pending → in_progress → complete | error."""
    question = await _question(sandbox)
    started = await client.chat_startStream(
        channel="C0GENERAL",
        thread_ts=question,
        task_display_mode="plan",
        chunks=[
            PlanUpdateChunk(title="Checking api"),
            TaskUpdateChunk(id="a", title="Status", status="pending"),
            TaskUpdateChunk(id="b", title="Logs", status="pending"),
        ],
        **RECIPIENT,
    )
    ts = started["ts"]
    for chunk in (
        TaskUpdateChunk(id="a", title="Status", status="in_progress"),
        TaskUpdateChunk(id="a", title="Status", status="complete"),
        TaskUpdateChunk(id="b", title="Logs", status="error"),
    ):
        await client.chat_appendStream(channel="C0GENERAL", ts=ts, chunks=[chunk])
    await client.chat_stopStream(channel="C0GENERAL", ts=ts, markdown_text="Logs failed.")
    blocks = sandbox.workspace.store.get("C0GENERAL", ts)["blocks"]
    assert [b["type"] for b in blocks] == ["plan", "markdown"]
    plan = blocks[0]
    assert plan["title"] == "Checking api"
    assert [(t["task_id"], t["status"]) for t in plan["tasks"]] == [
        ("a", "complete"),
        ("b", "error"),
    ]
    stream = sandbox.streams.get(ts)
    assert stream is not None
    assert stream.tasks["a"].history == ["pending", "in_progress", "complete"]


async def test_only_a_streaming_message_takes_appends(
    client: AsyncWebClient, sandbox: SlackSandbox
) -> None:
    """Appending to or stopping a stopped stream, a plain bot post, someone else's message or
    no message at all gets Slack's answer for each; an empty append is no_text."""
    question = await _question(sandbox)
    ts = (await client.chat_startStream(channel="C0GENERAL", thread_ts=question, **RECIPIENT))["ts"]
    append, stop = client.chat_appendStream, client.chat_stopStream
    assert await _error(append(channel="C0GENERAL", ts=ts)) == "no_text"
    await stop(channel="C0GENERAL", ts=ts)
    assert await _error(append(channel="C0GENERAL", ts=ts, markdown_text="x")) == (
        "message_not_in_streaming_state"
    )
    assert await _error(stop(channel="C0GENERAL", ts=ts)) == "message_not_in_streaming_state"
    post = (await client.chat_postMessage(channel="C0GENERAL", text="plain"))["ts"]
    assert await _error(append(channel="C0GENERAL", ts=post, markdown_text="x")) == (
        "message_not_in_streaming_state"
    )
    assert await _error(append(channel="C0GENERAL", ts=question, markdown_text="x")) == (
        "message_not_owned_by_app"
    )
    assert await _error(append(channel="C0GENERAL", ts="1.000001", markdown_text="x")) == (
        "message_not_found"
    )


async def test_an_expired_stream_refuses_more_but_keeps_its_text(
    client: AsyncWebClient, sandbox: SlackSandbox
) -> None:
    """After Slack expires a stream, append and stop are message_not_in_streaming_state;
    the text so far stays, and chat.update can still finish the message."""
    question = await _question(sandbox)
    started = await client.chat_startStream(
        channel="C0GENERAL", thread_ts=question, markdown_text="Part one. ", **RECIPIENT
    )
    ts = started["ts"]
    sandbox.streams.expire(ts)
    assert await _error(
        client.chat_appendStream(channel="C0GENERAL", ts=ts, markdown_text="two")
    ) == ("message_not_in_streaming_state")
    assert await _error(client.chat_stopStream(channel="C0GENERAL", ts=ts)) == (
        "message_not_in_streaming_state"
    )
    assert (await _reply(client, "C0GENERAL", question))["text"] == "Part one. "
    await client.chat_update(channel="C0GENERAL", ts=ts, text="Part one. Part two.")
    assert (await _reply(client, "C0GENERAL", question))["text"] == "Part one. Part two."


async def test_streams_expire_on_their_own_after_the_ttl(
    clocked_client: AsyncWebClient, clocked: SlackSandbox, clock: ManualClock
) -> None:
    """A stream expires 300 s after its start by default, however busy it is."""
    question = await _question(clocked)
    ts = (
        await clocked_client.chat_startStream(
            channel="C0GENERAL", thread_ts=question, markdown_text="a", **RECIPIENT
        )
    )["ts"]
    clock.advance(299)
    await clocked_client.chat_appendStream(channel="C0GENERAL", ts=ts, markdown_text="b")
    clock.advance(1)
    assert await _error(
        clocked_client.chat_appendStream(channel="C0GENERAL", ts=ts, markdown_text="c")
    ) == ("message_not_in_streaming_state")
    stream = clocked.streams.get(ts)
    assert stream is not None
    assert (stream.state, stream.text) == ("expired", "ab")


async def test_the_ttl_is_set_per_sandbox(receiver: Receiver, clock: ManualClock) -> None:
    """stream_ttl shortens (or lengthens) the window; streams.ttl changes it later."""
    async with SlackSandbox(request_url=receiver.url, clock=clock, stream_ttl=5.0) as sandbox:
        client = AsyncWebClient(token=sandbox.bot_token, base_url=sandbox.api_url)
        question = await _question(sandbox)
        start = client.chat_startStream
        ts = (await start(channel="C0GENERAL", thread_ts=question, **RECIPIENT))["ts"]
        clock.advance(5)
        stream = sandbox.streams.get(ts)
        assert stream is not None
        assert stream.state == "expired"
        sandbox.streams.ttl = 600.0
        later = (await start(channel="C0GENERAL", thread_ts=question, **RECIPIENT))["ts"]
        clock.advance(599)
        appended = await client.chat_appendStream(channel="C0GENERAL", ts=later, markdown_text="x")
        assert appended["ok"] is True
        assert client.session is None


async def test_chat_update_works_on_a_stopped_stream(
    client: AsyncWebClient, sandbox: SlackSandbox
) -> None:
    """A stopped stream is an ordinary bot message: chat.update replaces its text."""
    question = await _question(sandbox)
    ts = (
        await client.chat_startStream(
            channel="C0GENERAL", thread_ts=question, markdown_text="draft", **RECIPIENT
        )
    )["ts"]
    await client.chat_stopStream(channel="C0GENERAL", ts=ts)
    updated = await client.chat_update(channel="C0GENERAL", ts=ts, text="final")
    assert updated["message"]["text"] == "final"


async def test_stream_methods_take_injected_faults(sandbox: SlackSandbox) -> None:
    """Faults are injected into stream methods like any other: a 503 is not applied."""
    client = AsyncWebClient(token=sandbox.bot_token, base_url=sandbox.api_url, retry_handlers=[])
    question = await _question(sandbox)
    ts = (await client.chat_startStream(channel="C0GENERAL", thread_ts=question, **RECIPIENT))["ts"]
    sandbox.faults.inject("chat.appendStream", Fault.server_error(503))
    with pytest.raises(SlackApiError) as info:
        await client.chat_appendStream(channel="C0GENERAL", ts=ts, markdown_text="lost")
    assert info.value.response.status_code == 503
    await client.chat_appendStream(channel="C0GENERAL", ts=ts, markdown_text="kept")
    stream = sandbox.streams.get(ts)
    assert stream is not None
    assert stream.text == "kept"


async def test_a_streamed_reply_clears_the_threads_status(
    client: AsyncWebClient, sandbox: SlackSandbox
) -> None:
    """Slack removes a thread's status line once the app sends its message."""
    question = await _question(sandbox)
    await client.assistant_threads_setStatus(
        channel_id="C0GENERAL", thread_ts=question, status="is thinking..."
    )
    assert sandbox.assistant.status("C0GENERAL", question) == "is thinking..."
    await client.chat_startStream(channel="C0GENERAL", thread_ts=question, **RECIPIENT)
    assert sandbox.assistant.status("C0GENERAL", question) == ""


async def test_a_deleted_stream_is_gone(client: AsyncWebClient, sandbox: SlackSandbox) -> None:
    """chat.delete removes a streaming message and its stream: appends find no message."""
    question = await _question(sandbox)
    ts = (await client.chat_startStream(channel="C0GENERAL", thread_ts=question, **RECIPIENT))["ts"]
    await client.chat_delete(channel="C0GENERAL", ts=ts)
    assert sandbox.streams.get(ts) is None
    assert await _error(
        client.chat_appendStream(channel="C0GENERAL", ts=ts, markdown_text="x")
    ) == ("message_not_found")
