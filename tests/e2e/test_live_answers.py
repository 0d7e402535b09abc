"""Work a person can watch, through the real app, the sandbox's Slack AI surface and the
scripted model server: the status line, the streamed answer (in the agent DM and in a
channel thread), a stream Slack expired mid-answer, a stream Slack refused, and Stop."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from typing import Any

import pytest

from handlers.progress import LOADING, WORKING
from sandbox import SlackSandbox
from sandbox.faults import Fault
from sandbox.llm_server import ScriptedLLMServer
from sandbox.llm_steps import Streaming, delay, hang_after, reply
from sandbox.streams import Stream
from tests.e2e.conftest import Bot, running_bot
from tests.e2e.llm_config import LLM_KEY, llm_config

ENV = {"PRIMARY_LLM_KEY": LLM_KEY, "DEPLOY_API_TOKEN": "t0ken"}
ANSWER = (
    "Deploys go through an approval card: a second engineer approves, then the job runs "
    "once and its result is posted in the thread where it was asked."
)


@pytest.fixture
async def llm() -> AsyncIterator[ScriptedLLMServer]:
    async with ScriptedLLMServer(api_key=LLM_KEY) as server:
        yield server


@pytest.fixture
async def live_bot(
    sandbox: SlackSandbox, database_url: str, llm: ScriptedLLMServer
) -> AsyncIterator[Bot]:
    """The bot with its status line and streamed answers on, planning with the model."""
    config = llm_config(sandbox.base_url, primary_url=llm.openai_base_url)
    async with running_bot(
        sandbox, database_url, config=config, environ=ENV, live_status=True, stream_answers=True
    ) as bot:
        yield bot


async def _stream_in(sandbox: SlackSandbox, channel: str, thread_ts: str) -> Stream:
    call = await sandbox.calls.wait_for(
        "chat.startStream", where=lambda c: c.args.get("thread_ts") == thread_ts, timeout=10
    )
    stream = sandbox.streams.get(str(call.response["ts"]))
    assert stream is not None and stream.channel == channel
    return stream


def _stored(sandbox: SlackSandbox, channel: str, ts: str) -> dict[str, Any]:
    message = sandbox.workspace.store.get(channel, ts)
    assert message is not None
    return dict(message)


def _posted_in(sandbox: SlackSandbox, thread_ts: str) -> list[str]:
    return [
        str(c.args.get("text"))
        for c in sandbox.calls.for_method("chat.postMessage")
        if c.args.get("thread_ts") == thread_ts
    ]


async def test_an_answer_in_the_agent_dm_streams_and_ends_as_the_reply(
    sandbox: SlackSandbox, live_bot: Bot, llm: ScriptedLLMServer
) -> None:
    """In an assistant thread of the DM: the status shows at once, the session is processing
    (Stop is offered), the model's text streams in, and the stream ends as the reply with
    the native feedback buttons and the trace id; nothing is posted besides it. The model
    takes over a second to start, so the status moves on to say so."""
    llm.script(delay(1.2, reply(ANSWER, stream=Streaming(piece_size=12))))
    root = await sandbox.people.start_assistant_thread(user="U0ALICE")
    await sandbox.people.say(
        "deploy: how do deploys work?", user="U0ALICE", channel=root.channel, thread_ts=root.ts
    )
    stream = await _stream_in(sandbox, root.channel, root.ts)
    await live_bot.idle()
    assert stream.state == "stopped"
    assert stream.text == ANSWER  # the model's text, whole, once
    assert stream.recipient_user_id is None  # a DM needs no recipient
    assert any(b["type"] == "context_actions" for b in stream.final_blocks)
    meta = _stored(sandbox, root.channel, stream.ts)["metadata"]
    trace = await live_bot.runtime.database.traces.get(meta["event_payload"]["trace_id"])
    assert trace is not None and trace.outcome == "replied"
    assert _posted_in(sandbox, root.ts) == []
    thread = sandbox.assistant.thread(root.channel, root.ts)
    assert thread.statuses[:2] == [WORKING, "is thinking…"]  # quick steps in between: unseen
    first = sandbox.calls.for_method("assistant.threads.setStatus")[0]
    assert first.response["ok"] and first.args["loading_messages"] == list(LOADING)
    assert sandbox.assistant.status(root.channel, root.ts) == ""  # cleared by the answer
    session = sandbox.assistant.session(root.channel, root.ts)
    assert session is not None and session.statuses[:1] == ["processing"]
    assert session.status == "active" and session.initiator_user_id == "U0ALICE"
    (request,) = llm.requests
    assert request.streamed


async def test_a_channel_stream_names_the_person_it_answers(
    sandbox: SlackSandbox, live_bot: Bot, llm: ScriptedLLMServer
) -> None:
    """A mention in a channel: the stream carries the recipient team and user Slack asks
    for, and a 👎 on the streamed reply opens the form and stores the vote."""
    llm.script(reply(ANSWER, stream=Streaming(piece_size=20)))
    sent = await sandbox.people.say("<@U0BOT> deploy: how do deploys work?", user="U0BOB")
    stream = await _stream_in(sandbox, "C0GENERAL", sent.ts)
    await live_bot.idle()
    assert (stream.recipient_user_id, stream.recipient_team_id) == (
        "U0BOB",
        sandbox.workspace.directory.team_id,
    )
    assert stream.text == ANSWER
    await sandbox.people.give_feedback(stream.ts, positive=False, user="U0BOB")
    opened = await sandbox.calls.wait_for("views.open")
    assert opened.args["view"]["callback_id"] == "feedback_modal"
    trace_id = _stored(sandbox, "C0GENERAL", stream.ts)["metadata"]["event_payload"]["trace_id"]
    votes = await live_bot.runtime.database.feedback.votes(trace_id)
    assert [(v.user_id, v.vote) for v in votes] == [("U0BOB", "down")]


async def test_a_stream_slack_expired_mid_answer_loses_nothing_and_doubles_nothing(
    sandbox: SlackSandbox, live_bot: Bot, llm: ScriptedLLMServer
) -> None:
    """Slack expires the stream while the model is still writing: the message is replaced
    with the whole answer once, and no second message carries it. (The model hangs after
    80 characters: enough words that some pass the grounding gate, which holds back seven.)"""
    llm.script(reply(ANSWER, stream=Streaming(piece_size=10, fault=hang_after(8))))
    sent = await sandbox.people.say("<@U0BOT> deploy: how do deploys work?", user="U0ALICE")
    await llm.wait_for_hangs(1)
    stream = await _stream_in(sandbox, "C0GENERAL", sent.ts)
    sandbox.streams.expire(stream.ts)
    llm.release()
    await live_bot.idle()
    assert stream.state == "expired"
    message = _stored(sandbox, "C0GENERAL", stream.ts)
    shown = "".join(
        str(b.get("text", {}).get("text", "")) for b in message["blocks"] if b["type"] == "section"
    )
    assert shown == ANSWER
    assert _posted_in(sandbox, sent.ts) == []
    assert sandbox.calls.count("chat.update") == 1


async def test_a_refused_stream_falls_back_to_a_message_that_grows_into_the_same_answer(
    sandbox: SlackSandbox, live_bot: Bot, llm: ScriptedLLMServer
) -> None:
    """Slack refuses ``chat.startStream``: the first words are posted as a message, which
    ``chat.update`` grows as the model writes (not more than once every 1.5 s) and the turn's
    end makes the whole answer, with its feedback buttons; one message, never a second."""
    sandbox.faults.inject(
        "chat.startStream", Fault(kind="status", status=200, error="not_allowed_token_type")
    )
    llm.script(reply(ANSWER, stream=Streaming(piece_size=8, interval=0.2)))
    sent = await sandbox.people.say("<@U0BOT> deploy: how do deploys work?", user="U0ALICE")
    posted = await sandbox.calls.wait_for(
        "chat.postMessage", where=lambda c: c.args.get("thread_ts") == sent.ts, timeout=10
    )
    await live_bot.idle()
    ts = str(posted.response["ts"])
    assert ANSWER.startswith(posted.args["text"]) and posted.args["text"] != ANSWER
    updates = [c for c in sandbox.calls.for_method("chat.update") if c.args.get("ts") == ts]
    growing = [c.args["text"] for c in updates[:-1]]
    assert growing and all(ANSWER.startswith(text) for text in growing)  # it grew in place
    final = _stored(sandbox, "C0GENERAL", ts)
    assert final["text"] == ANSWER
    assert any(b["type"] == "context_actions" for b in final["blocks"])
    assert final["metadata"]["event_type"] == "switchboard_turn"
    assert _posted_in(sandbox, sent.ts) == [posted.args["text"]]  # one message, no second
    assert sandbox.streams.in_thread("C0GENERAL", sent.ts) == []
    times = [posted.at] + [c.at for c in updates[:-1]]
    assert all(b - a >= 1.4 for a, b in itertools.pairwise(times))  # UPDATE_EVERY apart


async def test_when_slack_refuses_the_stream_and_the_post_the_reply_is_posted_whole(
    sandbox: SlackSandbox, live_bot: Bot, llm: ScriptedLLMServer
) -> None:
    """Neither a stream nor the growing message: the answer is posted once at the end."""
    sandbox.faults.inject(
        "chat.startStream", Fault(kind="status", status=200, error="not_allowed_token_type")
    )
    sandbox.faults.inject("chat.postMessage", Fault(kind="status", status=200, error="fatal_error"))
    llm.script(reply(ANSWER, stream=Streaming(piece_size=30)))
    sent = await sandbox.people.say("<@U0BOT> deploy: how do deploys work?", user="U0ALICE")
    await live_bot.idle()
    posted = [
        c
        for c in sandbox.calls.for_method("chat.postMessage")
        if c.args.get("thread_ts") == sent.ts and c.response.get("ok")
    ]
    assert [c.args["text"] for c in posted] == [ANSWER]


async def test_stop_mid_stream_cancels_the_model_call_and_says_who_stopped(
    sandbox: SlackSandbox, live_bot: Bot, llm: ScriptedLLMServer
) -> None:
    """Stop while the model writes: the model's stream is closed by the bot, what was shown
    stays with a note naming who stopped it, the session leaves ``processing``, and the
    trace records the stop and the person."""
    llm.script(reply(ANSWER, stream=Streaming(piece_size=10, fault=hang_after(6))))
    sent = await sandbox.people.say("<@U0BOT> deploy: how do deploys work?", user="U0ALICE")
    await llm.wait_for_hangs(1)
    stream = await _stream_in(sandbox, "C0GENERAL", sent.ts)
    await sandbox.people.stop(sent.ts, user="U0BOB", channel="C0GENERAL")
    (record,) = await llm.wait_for_streams(1, timeout=10)
    assert record.outcome == "disconnected"  # the call was cancelled, not left to finish
    await live_bot.idle()
    message = _stored(sandbox, "C0GENERAL", stream.ts)
    rendered = str(message.get("blocks"))
    assert "Stopped by <@U0BOB>" in rendered
    assert ANSWER not in rendered  # only what was written before Stop
    trace_id = message["metadata"]["event_payload"]["trace_id"]
    trace = await live_bot.runtime.database.traces.get(trace_id)
    assert trace is not None and (trace.outcome, trace.stopped_by) == ("stopped", "U0BOB")
    session = sandbox.assistant.session("C0GENERAL", sent.ts)
    assert session is not None and session.status == "active"
    assert _posted_in(sandbox, sent.ts) == []
