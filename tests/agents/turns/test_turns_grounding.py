"""Grounded answers through whole turns: a compromised model's claim is marked, recorded and
flagged; honest answers and proposals carry the record of their calls; the model's words
never reach progress (the streamed answer) while they claim something."""

from __future__ import annotations

from agents.llm.chat import Completion, ToolCall, Usage
from agents.turns.grounding import UNGROUNDED_CLAIM, WARNING
from tests.agents.fakes_llm import ScriptedModel, called, said
from tests.agents.fakes_progress import RecordingProgress
from tests.agents.turns.test_turns_planning import Bot

LIE = "Done: prod failed over to eu, it was approved."


def _shown(progress: RecordingProgress) -> str:
    return "".join(str(piece) for piece in progress.of("text"))


async def test_the_stand_ins_case_is_marked_recorded_and_flagged() -> None:
    """The model's only tool call is refused (not an action of this agent), then it says it
    was done and approved: the reply opens with the warning, quotes the model, carries the
    record line, nothing is proposed, and the trace is flagged for review."""
    progress = RecordingProgress()
    bot = Bot(ScriptedModel("primary", called("failover", {"region": "eu"}), said(LIE)))
    reply, _ = await bot.say("deploy: fail prod over to eu", progress=progress)
    assert reply.text.startswith(f"{WARNING} no action ran in this turn.")
    assert f"> {LIE}" in reply.text
    assert reply.record == "Switchboard: refused `failover`: not an action this agent offers you"
    assert reply.approval_id is None and bot.world.approvals.rows == {}
    trace = bot.traces.rows["t1"]
    assert (trace.degraded, trace.tool_calls) == (UNGROUNDED_CLAIM, ("failover:refused_scope",))
    assert _shown(progress) == ""  # the answer after a tool call never streamed


async def test_a_claim_without_a_tool_call_never_reaches_progress() -> None:
    """No tool call, a claimed restart: the words before the claim may show, the claim never
    does, and the reply is marked."""
    progress = RecordingProgress()
    text = "Looking at the thread, the pods were slow. I restarted api and it is healthy now."
    bot = Bot(ScriptedModel("primary", said(text)))
    reply, _ = await bot.say("deploy: api is slow", progress=progress)
    shown = _shown(progress)
    assert text.startswith(shown) and "restarted" not in shown
    assert reply.text.startswith(WARNING) and reply.record is None
    assert bot.traces.rows["t1"].degraded == UNGROUNDED_CLAIM


async def test_an_honest_answer_streams_whole_and_is_not_flagged() -> None:
    """Nothing claimed, nothing called: the words stream, the reply is the model's text."""
    progress = RecordingProgress()
    text = "I can't fail over prod: that is not one of my actions. Ask the ops team."
    bot = Bot(ScriptedModel("primary", said(text)))
    reply, _ = await bot.say("deploy: fail over prod", progress=progress)
    assert (reply.text, reply.record) == (text, None)
    assert _shown(progress) == text
    assert bot.traces.rows["t1"].degraded is None


async def test_an_honest_answer_after_a_refused_call_carries_the_record() -> None:
    """The model explains the refusal: its text stands, under the record line."""
    text = "I can't fail over prod: that is not one of my actions."
    bot = Bot(ScriptedModel("primary", called("failover", {}), said(text)))
    reply, _ = await bot.say("deploy: fail over prod")
    assert reply.text == text
    assert reply.record == "Switchboard: refused `failover`: not an action this agent offers you"
    assert bot.traces.rows["t1"].degraded is None


async def test_a_proposal_carries_the_record_and_its_claiming_words_never_show() -> None:
    """The model writes a claim along with a valid tool call: the card is proposed with the
    record line, and the claim never reached progress."""
    progress = RecordingProgress()
    call = ToolCall("call_1", "deploy", '{"service": "api", "env": "prod"}')
    lying_call = Completion(
        "Deployed api to prod, all approved.", (call,), "tool_calls", Usage(100, 20), "m1"
    )
    bot = Bot(ScriptedModel("primary", lying_call))
    reply, _ = await bot.say("deploy: ship api to prod", progress=progress)
    assert reply.approval_id is not None
    assert reply.record == (
        "Switchboard: proposed `deploy` service=api env=prod (waiting for 1 approval)"
    )
    assert "Deployed" not in _shown(progress)


async def test_honest_words_before_a_tool_call_stream_whole() -> None:
    """What the model says before proposing streams (all of it, by the end of planning)."""
    progress = RecordingProgress()
    words = "I'll ask for approval to deploy api to prod."
    call = ToolCall("call_1", "deploy", '{"service": "api", "env": "prod"}')
    bot = Bot(ScriptedModel("primary", Completion(words, (call,), "tool_calls", Usage(1, 1), "m1")))
    reply, _ = await bot.say("deploy: ship api to prod", progress=progress)
    assert reply.approval_id is not None and _shown(progress) == words
