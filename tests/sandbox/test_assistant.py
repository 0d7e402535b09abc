"""The AI-app surface around a conversation through the SDK: status lines with loading
messages, suggested prompts, thread titles and agent sessions, with Slack's errors."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from sandbox import SlackSandbox
from sandbox.assistant import Prompt

from .clock import ManualClock


async def _error(call: Awaitable[Any]) -> str:
    with pytest.raises(SlackApiError) as info:
        await call
    return str(info.value.response["error"])


async def _thread(sandbox: SlackSandbox, channel: str = "D0ALICE") -> str:
    return (await sandbox.people.say("deploy api please", channel=channel)).ts


async def test_a_status_shows_until_cleared(client: AsyncWebClient, sandbox: SlackSandbox) -> None:
    """setStatus shows a status with rotating loading messages; an empty status clears it;
    every status set is remembered in order."""
    ts = await _thread(sandbox)
    answer = await client.assistant_threads_setStatus(
        channel_id="D0ALICE",
        thread_ts=ts,
        status="is looking at runbooks...",
        loading_messages=["Reading the runbook", "Checking the deploy"],
    )
    assert answer.data == {"ok": True}
    state = sandbox.assistant.thread("D0ALICE", ts)
    assert sandbox.assistant.status("D0ALICE", ts) == "is looking at runbooks..."
    assert state.loading_messages == ("Reading the runbook", "Checking the deploy")
    await client.assistant_threads_setStatus(channel_id="D0ALICE", thread_ts=ts, status="")
    assert sandbox.assistant.status("D0ALICE", ts) == ""
    assert state.loading_messages == ()
    assert state.statuses == ["is looking at runbooks...", ""]


async def test_a_reply_clears_the_status(client: AsyncWebClient, sandbox: SlackSandbox) -> None:
    """Once the app posts in the thread, the status goes away."""
    ts = await _thread(sandbox)
    await client.assistant_threads_setStatus(channel_id="D0ALICE", thread_ts=ts, status="busy")
    await client.chat_postMessage(channel="D0ALICE", thread_ts=ts, text="done")
    assert sandbox.assistant.status("D0ALICE", ts) == ""
    assert sandbox.assistant.thread("D0ALICE", ts).statuses == ["busy", ""]


async def test_a_status_times_out_after_two_minutes(
    clocked_client: AsyncWebClient, clocked: SlackSandbox, clock: ManualClock
) -> None:
    """Without a message from the app a status disappears two minutes after it was set."""
    ts = await _thread(clocked)
    await clocked_client.assistant_threads_setStatus(
        channel_id="D0ALICE", thread_ts=ts, status="thinking"
    )
    clock.advance(119)
    assert clocked.assistant.status("D0ALICE", ts) == "thinking"
    clock.advance(1)
    assert clocked.assistant.status("D0ALICE", ts) == ""
    assert clocked.assistant.thread("D0ALICE", ts).statuses == ["thinking", ""]


async def test_set_status_checks(client: AsyncWebClient, sandbox: SlackSandbox) -> None:
    """Unknown channel, unknown thread, a missing status and too many or too long loading
    messages are refused."""
    ts = await _thread(sandbox)
    set_status = client.assistant_threads_setStatus
    assert await _error(set_status(channel_id="C0NOPE", thread_ts=ts, status="x")) == (
        "channel_not_found"
    )
    assert await _error(set_status(channel_id="D0ALICE", thread_ts="1.000001", status="x")) == (
        "invalid_thread_ts"
    )
    missing = client.api_call(
        "assistant.threads.setStatus", json={"channel_id": "D0ALICE", "thread_ts": ts}
    )
    assert await _error(missing) == "invalid_arguments"
    eleven = [f"step {i}" for i in range(11)]
    assert (
        await _error(
            set_status(channel_id="D0ALICE", thread_ts=ts, status="x", loading_messages=eleven)
        )
        == "invalid_arguments"
    )
    long_one = ["x" * 51]
    assert (
        await _error(
            set_status(channel_id="D0ALICE", thread_ts=ts, status="x", loading_messages=long_one)
        )
        == "invalid_arguments"
    )
    assert sandbox.assistant.status("D0ALICE", ts) == ""


async def test_suggested_prompts_for_a_thread_or_the_conversation(
    client: AsyncWebClient, sandbox: SlackSandbox
) -> None:
    """Up to four prompts with an optional title, for a thread or (without thread_ts) the top
    of the agent DM; a fifth prompt or a prompt without a message is refused."""
    ts = await _thread(sandbox)
    prompts = [
        {"title": "Deploy", "message": "deploy api to staging"},
        {"title": "Status", "message": "how is api?"},
    ]
    await client.assistant_threads_setSuggestedPrompts(
        channel_id="D0ALICE", thread_ts=ts, prompts=prompts, title="Try these"
    )
    state = sandbox.assistant.thread("D0ALICE", ts)
    assert state.prompts == (
        Prompt("Deploy", "deploy api to staging"),
        Prompt("Status", "how is api?"),
    )
    assert state.prompts_title == "Try these"
    await client.assistant_threads_setSuggestedPrompts(channel_id="D0ALICE", prompts=prompts[:1])
    assert sandbox.assistant.thread("D0ALICE", None).prompts == (
        Prompt("Deploy", "deploy api to staging"),
    )
    five = prompts * 2 + prompts[:1]
    assert await _error(
        client.assistant_threads_setSuggestedPrompts(channel_id="D0ALICE", prompts=five)
    ) == ("invalid_arguments")
    assert await _error(
        client.assistant_threads_setSuggestedPrompts(
            channel_id="D0ALICE", prompts=[{"title": "No message"}]
        )
    ) == ("invalid_arguments")
    assert await _error(
        client.assistant_threads_setSuggestedPrompts(
            channel_id="D0ALICE", thread_ts="1.000001", prompts=prompts
        )
    ) == ("invalid_thread_ts")


async def test_a_thread_takes_a_title(client: AsyncWebClient, sandbox: SlackSandbox) -> None:
    """setTitle (sent form-encoded by the SDK) names the thread; a missing title is refused."""
    ts = await _thread(sandbox)
    await client.assistant_threads_setTitle(channel_id="D0ALICE", thread_ts=ts, title="Deploys")
    assert sandbox.assistant.thread("D0ALICE", ts).title == "Deploys"
    assert await _error(
        client.assistant_threads_setTitle(channel_id="D0ALICE", thread_ts=ts, title="")
    ) == ("invalid_arguments")


async def test_agent_sessions_live_and_get_renamed(
    client: AsyncWebClient, sandbox: SlackSandbox
) -> None:
    """setStatus creates a thread's session (title and initiator only then) and moves it
    through its statuses; rename retitles it."""
    ts = await _thread(sandbox, channel="C0GENERAL")
    created = await client.agents_sessions_setStatus(
        channel_id="C0GENERAL",
        thread_ts=ts,
        status="processing",
        title="Deploy api",
        initiator_user_id="U0ALICE",
    )
    assert created.data == {
        "ok": True,
        "status": "processing",
        "agent_status": "processing",
        "title": "Deploy api",
    }
    await client.agents_sessions_setStatus(
        channel_id="C0GENERAL", thread_ts=ts, status="active", title="ignored"
    )
    renamed = await client.agents_sessions_rename(
        channel_id="C0GENERAL", thread_ts=ts, title="Deploy api to prod"
    )
    assert renamed.data == {"ok": True, "title": "Deploy api to prod"}
    session = sandbox.assistant.session("C0GENERAL", ts)
    assert session is not None
    assert (session.status, session.title, session.initiator_user_id) == (
        "active",
        "Deploy api to prod",
        "U0ALICE",
    )
    assert session.statuses == ["processing", "active"]


async def test_agent_session_checks(client: AsyncWebClient, sandbox: SlackSandbox) -> None:
    """Sessions need a known status, a thread, a channel the bot is in, a known initiator;
    renaming needs a session."""
    ts = await _thread(sandbox, channel="C0GENERAL")
    set_status, rename = client.agents_sessions_setStatus, client.agents_sessions_rename
    assert await _error(set_status(channel_id="C0GENERAL", thread_ts=ts, status="busy")) == (
        "invalid_status"
    )
    assert await _error(set_status(channel_id="C0GENERAL", status="active")) == (
        "thread_ts_required"
    )
    assert await _error(set_status(channel_id="C0RANDOM", thread_ts=ts, status="active")) == (
        "not_authorized"
    )
    assert await _error(set_status(channel_id="C0NOPE", thread_ts=ts, status="active")) == (
        "channel_not_found"
    )
    assert (
        await _error(
            set_status(
                channel_id="C0GENERAL", thread_ts=ts, status="active", initiator_user_id="U0X"
            )
        )
        == "user_not_found"
    )
    assert await _error(rename(channel_id="C0GENERAL", thread_ts=ts, title="x")) == (
        "session_not_found"
    )
    assert await _error(
        set_status(channel_id="C0GENERAL", thread_ts=ts, status="active", title="x" * 201)
    ) == ("invalid_arguments")
    assert sandbox.assistant.session("C0GENERAL", ts) is None


async def test_stop_stream_can_move_the_session_on(
    client: AsyncWebClient, sandbox: SlackSandbox
) -> None:
    """chat.stopStream's session_status moves the thread's session; a bad one is refused."""
    ts = await _thread(sandbox)
    await client.agents_sessions_setStatus(channel_id="D0ALICE", thread_ts=ts, status="processing")
    stream = (await client.chat_startStream(channel="D0ALICE", thread_ts=ts))["ts"]
    assert await _error(
        client.chat_stopStream(channel="D0ALICE", ts=stream, session_status="asleep")
    ) == ("invalid_status")
    await client.chat_stopStream(channel="D0ALICE", ts=stream, session_status="active")
    session = sandbox.assistant.session("D0ALICE", ts)
    assert session is not None
    assert session.status == "active"
