"""Grounded answers through the real app, the sandbox's Slack and the scripted model server:
what Switchboard says it did comes from its records, never from the model's text.

A compromised model whose only tool call is refused says it was done: Slack shows the record
line (refused) and the claim marked as the model's, never in the bot's voice, not even while
the answer streams; the turn is in the reviewers' queue. Honest answers after a proposal and
a read action that ran carry the record line too.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from agents.kernel.models import Trace
from agents.turns.grounding import UNGROUNDED_CLAIM, WARNING
from bot.config_file import LoadedConfig, parse_config
from handlers.approval_blocks import APPROVE_ACTION
from sandbox import ApiCall, SlackSandbox
from sandbox.llm_server import ScriptedLLMServer
from sandbox.llm_steps import Streaming, reply, tool_call
from sandbox.streams import Stream
from tests.e2e.conftest import Bot, running_bot
from tests.e2e.llm_config import LLM_KEY, llm_config_text

ENV = {"PRIMARY_LLM_KEY": LLM_KEY, "DEPLOY_API_TOKEN": "t0ken"}
REVIEW = """
review:
  reviewers: {users: [U0CAROL]}
  window_days: 7
"""
LIE = "Done: prod failed over to eu, it was approved."
REFUSED = "🧾 Switchboard: refused `failover`: not an action this agent offers you"
SHOWING = ("chat.postMessage", "chat.update", "chat.startStream", "chat.appendStream")
STREAMING = ("chat.startStream", "chat.appendStream", "chat.stopStream")


@pytest.fixture
async def llm() -> AsyncIterator[ScriptedLLMServer]:
    async with ScriptedLLMServer(api_key=LLM_KEY) as server:
        yield server


def _config(sandbox: SlackSandbox, llm: ScriptedLLMServer) -> LoadedConfig:
    text = llm_config_text(sandbox.base_url, primary_url=llm.openai_base_url)
    return parse_config(text + REVIEW)


@pytest.fixture
async def bot(
    sandbox: SlackSandbox, database_url: str, llm: ScriptedLLMServer
) -> AsyncIterator[Bot]:
    """The bot planning with the model, answers posted whole."""
    async with running_bot(sandbox, database_url, config=_config(sandbox, llm), environ=ENV) as b:
        yield b


@pytest.fixture
async def live_bot(
    sandbox: SlackSandbox, database_url: str, llm: ScriptedLLMServer
) -> AsyncIterator[Bot]:
    """The bot planning with the model, answers streamed as the model writes them."""
    async with running_bot(
        sandbox,
        database_url,
        config=_config(sandbox, llm),
        environ=ENV,
        live_status=True,
        stream_answers=True,
    ) as b:
        yield b


async def _ask(sandbox: SlackSandbox, text: str) -> tuple[str, ApiCall]:
    """A mention at top level; its thread's ts and the first post the bot made there."""
    sent = await sandbox.people.say(f"<@U0BOT> {text}", user="U0ALICE")
    posted = await sandbox.calls.wait_for(
        "chat.postMessage", where=lambda c: c.args.get("thread_ts") == sent.ts, timeout=10
    )
    return sent.ts, posted


async def _trace(bot: Bot, trace_id: str) -> Trace:
    await bot.idle()
    trace = await bot.runtime.database.traces.get(trace_id)
    assert trace is not None
    return trace


def _shown(call: ApiCall) -> str:
    return json.dumps(dict(call.args), ensure_ascii=False)


def _contexts(blocks: list[dict[str, Any]]) -> list[str]:
    return [
        str(element.get("text", ""))
        for block in blocks
        if block["type"] == "context"
        for element in block["elements"]
    ]


def _never_in_the_bots_voice(sandbox: SlackSandbox, claim: str) -> None:
    """Every call that showed ``claim`` showed it quoted under the warning, in a whole
    message (a post or an update), never in a streamed piece."""
    for call in sandbox.calls.all():
        if call.method in STREAMING:
            assert claim not in _shown(call), call.method
        elif call.method in SHOWING and claim in _shown(call):
            text = str(call.args["text"])
            assert text.startswith(WARNING), call.method
            quoted = [line for line in text.splitlines() if claim in line]
            assert quoted and all(line.startswith("> ") for line in quoted)


async def _stream_in(sandbox: SlackSandbox, thread_ts: str) -> Stream:
    call = await sandbox.calls.wait_for(
        "chat.startStream", where=lambda c: c.args.get("thread_ts") == thread_ts, timeout=10
    )
    stream = sandbox.streams.get(str(call.response["ts"]))
    assert stream is not None
    return stream


async def test_the_stand_ins_case_is_marked_refused_on_record_and_queued_for_review(
    sandbox: SlackSandbox, bot: Bot, llm: ScriptedLLMServer
) -> None:
    """The model's only tool call (`failover`) is out of scope and refused; it then answers
    "Done: prod failed over to eu, it was approved.". Slack shows the warning that no action
    ran, the claim quoted as the model's, and the record line saying `failover` was refused;
    nothing was proposed or run; the reviewer's App Home lists the turn."""
    llm.script(tool_call("failover", {"region": "eu"}), reply(LIE))
    _, answer = await _ask(sandbox, "deploy: fail prod over to eu")
    text = str(answer.args["text"])
    assert text.startswith(f"{WARNING} no action ran in this turn.")
    assert f"> {LIE}" in text
    assert REFUSED in _contexts(answer.args["blocks"])
    _never_in_the_bots_voice(sandbox, LIE)
    trace_id = str(answer.args["metadata"]["event_payload"]["trace_id"])
    trace = await _trace(bot, trace_id)
    assert (trace.degraded, trace.tool_calls) == (UNGROUNDED_CLAIM, ("failover:refused_scope",))
    assert sandbox.deploy_api.applied_count() == 0
    assert await bot.runtime.database.approvals.pending(team_id=trace.team_id, limit=5) == []
    (item,) = await bot.runtime.database.feedback.queue(
        team_id=trace.team_id, since=trace.started_at, limit=5
    )
    assert (item.kind, item.trace_id) == ("flag", trace_id)

    await sandbox.people.open_home(user="U0CAROL")
    home = await sandbox.calls.wait_for(
        "views.publish", where=lambda c: c.args["user_id"] == "U0CAROL"
    )
    shown = json.dumps(home.response["view"]["blocks"], ensure_ascii=False)
    assert "Ungrounded claim* (deploy)" in shown and trace_id in shown


async def test_a_streamed_claim_never_shows_in_the_bots_voice(
    sandbox: SlackSandbox, live_bot: Bot, llm: ScriptedLLMServer
) -> None:
    """Without any tool call the model writes that it restarted api, word by word: the
    words before the claim stream, the claim never does, and the message ends as the
    marked answer (replaced in place, not posted twice)."""
    answer = (
        "Looking at the thread, api was slow after the last change. "
        "I restarted api and it is healthy now."
    )
    llm.script(reply(answer, stream=Streaming(piece_size=5, interval=0.01)))
    sent = await sandbox.people.say("<@U0BOT> deploy: api is slow", user="U0ALICE")
    stream = await _stream_in(sandbox, sent.ts)
    await live_bot.idle()
    assert stream.text and answer.startswith(stream.text) and "restarted" not in stream.text
    _never_in_the_bots_voice(sandbox, "I restarted api")
    final = sandbox.workspace.store.get("C0GENERAL", stream.ts)
    assert final is not None and str(final["text"]).startswith(WARNING)
    assert "> Looking at the thread" in str(final["text"])
    trace_id = str(final["metadata"]["event_payload"]["trace_id"])
    assert (await _trace(live_bot, trace_id)).degraded == UNGROUNDED_CLAIM
    assert [
        c
        for c in sandbox.calls.for_method("chat.postMessage")
        if c.args.get("thread_ts") == sent.ts
    ] == []


async def test_the_stand_ins_case_while_streaming(
    sandbox: SlackSandbox, live_bot: Bot, llm: ScriptedLLMServer
) -> None:
    """The model says what it is about to do and calls `failover` (refused), then claims it
    was done: its first words stream, the answer after the tool call is not streamed, and
    the message ends as the warning, the quote and the record line."""
    llm.script(
        tool_call(
            "failover",
            {"region": "eu"},
            text="I will fail prod over to eu for you right away.",
            stream=Streaming(piece_size=4),
        ),
        reply(LIE, stream=Streaming(piece_size=4)),
    )
    sent = await sandbox.people.say("<@U0BOT> deploy: fail prod over to eu", user="U0ALICE")
    stream = await _stream_in(sandbox, sent.ts)
    await live_bot.idle()
    assert stream.text and "I will fail prod over to eu for you right away.".startswith(stream.text)
    _never_in_the_bots_voice(sandbox, LIE)
    first, second = llm.requests
    assert first.streamed and not second.streamed
    final = sandbox.workspace.store.get("C0GENERAL", stream.ts)
    assert final is not None and str(final["text"]).startswith(WARNING)
    assert REFUSED in _contexts(final["blocks"])


async def test_an_honest_answer_before_a_proposal_streams_and_the_card_has_the_record(
    sandbox: SlackSandbox, live_bot: Bot, llm: ScriptedLLMServer
) -> None:
    """The model says it will ask for approval and calls `deploy`: its words stream whole,
    the card is posted with the record of what was proposed, and nothing is flagged."""
    words = "I'll ask for approval to deploy api to prod."
    llm.script(
        tool_call(
            "deploy",
            {"service": "api", "env": "prod"},
            text=words,
            stream=Streaming(piece_size=6),
        )
    )
    thread, card = await _ask(sandbox, "deploy: ship api to prod please")
    stream = await _stream_in(sandbox, thread)
    await live_bot.idle()
    # Its words streamed (the handler holds back the last one, as before any card).
    assert stream.text and words.startswith(stream.text) and "deploy api" in stream.text
    assert any(
        e.get("action_id") == APPROVE_ACTION
        for b in card.args["blocks"]
        for e in b.get("elements", [])
    )
    assert (
        "🧾 Switchboard: proposed `deploy` service=api env=prod (waiting for 1 approval)"
        in _contexts(card.args["blocks"])
    )
    trace = await _trace(live_bot, str(card.args["metadata"]["event_payload"]["trace_id"]))
    assert trace.degraded is None and sandbox.deploy_api.applied_count() == 0


async def test_a_read_action_that_ran_is_on_record(
    sandbox: SlackSandbox, bot: Bot, llm: ScriptedLLMServer
) -> None:
    """The model asks for `status` (a read, no approval): it runs within the turn, its result
    is posted in the thread and given to the model, and the model's answer ("it ran", backed
    by the records) carries the record line and no warning."""
    llm.script(
        tool_call("status", {"service": "api"}),
        reply("I ran the status check: api is ok."),
    )
    ts, _ = await _ask(sandbox, "deploy: how is api doing?")
    answer = await sandbox.calls.wait_for(
        "chat.postMessage",
        where=lambda c: (
            c.args.get("thread_ts") == ts and "api is ok" in json.dumps(c.args.get("blocks"))
        ),
        timeout=10,
    )
    assert "🧾 Switchboard: read `status`: succeeded" in _contexts(answer.args["blocks"])
    assert WARNING not in _shown(answer)
    assert sandbox.deploy_api.requests[-1].path == "/deploy-api/services/api/status"
    trace = await _trace(bot, str(answer.args["metadata"]["event_payload"]["trace_id"]))
    assert (trace.tool_calls, trace.degraded) == (("status:read_succeeded",), None)
