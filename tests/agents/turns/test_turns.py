"""The turn service runs one turn per message: routed, answered, recorded, idempotent."""

from __future__ import annotations

import pytest

from agents.builtin.help import HelpAgent
from agents.kernel.errors import ConfigError
from agents.kernel.models import AgentInfo, Inbound, Reply, ReplyItem
from agents.turns.agent import TurnContext
from agents.turns.assembly import build_turns
from agents.turns.turns import Turns, TurnStores, redacted
from tests.agents.fakes import (
    FakeClock,
    MemoryConversations,
    MemoryEvents,
    MemoryLedger,
    MemoryTraces,
)


class CountingAgent:
    info = AgentInfo("echo", "Repeats you.", keywords=("echo",))

    def __init__(self) -> None:
        self.calls = 0

    async def handle(self, turn: TurnContext) -> Reply:
        self.calls += 1
        return Reply(text=f"echo {turn.route.text}")


class BrokenAgent:
    info = AgentInfo("broken", "Always fails.", keywords=("broken",))

    async def handle(self, turn: TurnContext) -> Reply:
        raise RuntimeError("database password=hunter2 leaked?")


@pytest.fixture
def world() -> tuple[Turns, MemoryEvents, MemoryConversations, MemoryTraces, CountingAgent]:
    events, conversations, traces = MemoryEvents(), MemoryConversations(), MemoryTraces()
    echo = CountingAgent()
    turns = build_turns(
        [HelpAgent(), echo, BrokenAgent()],
        fallback="help",
        stores=TurnStores(
            replies=conversations, ledger=MemoryLedger(events, conversations, traces)
        ),
        clock=FakeClock(),
    )
    return turns, events, conversations, traces, echo


def _inbound(text: str, *, event_id: str = "Ev1", trace_id: str = "trace-1") -> Inbound:
    return Inbound(
        team_id="T1",
        channel_id="C1",
        user_id="U1",
        text=text,
        source="mention",
        event_id=event_id,
        trace_id=trace_id,
        received_at=FakeClock().now(),
        ts="1.1",
        thread_ts="1.1",
    )


async def test_turn_is_routed_answered_and_traced(world) -> None:  # type: ignore[no-untyped-def]
    """A keyword message reaches its agent; reply and trace are stored with the route."""
    turns, _events, conversations, traces, echo = world
    outbound = await turns.run_turn(_inbound("echo hello"))
    assert (outbound.agent, outbound.reply.text, outbound.status) == (
        "echo",
        "echo echo hello",
        "pending",
    )
    assert await conversations.find_reply("trace-1") == outbound
    trace = await traces.get("trace-1")
    assert trace is not None
    assert (trace.agent, trace.route_reason, trace.outcome) == ("echo", "keyword", "replied")
    assert echo.calls == 1


async def test_rerunning_a_turn_returns_the_stored_reply(world) -> None:  # type: ignore[no-untyped-def]
    """Recovery re-runs a turn: the agent is not asked twice."""
    turns, _e, _c, _t, echo = world
    first = await turns.run_turn(_inbound("echo x"))
    second = await turns.run_turn(_inbound("echo x"))
    assert first == second
    assert echo.calls == 1


async def test_failing_agent_still_answers_and_records_the_error(world) -> None:  # type: ignore[no-untyped-def]
    """An agent's exception becomes a polite reply with the trace id and an error trace."""
    turns, _e, _c, traces, _echo = world
    outbound = await turns.run_turn(_inbound("broken: now"))
    assert "trace-1" in outbound.reply.text
    assert "hunter2" not in outbound.reply.text
    trace = await traces.get("trace-1")
    assert trace is not None
    assert trace.outcome == "agent_error"
    assert trace.error is not None and trace.error.startswith("RuntimeError")


async def test_help_lists_every_agent_on_fallback(world) -> None:  # type: ignore[no-untyped-def]
    """An unmatched message gets the help list, saying nothing matched."""
    turns, *_ = world
    outbound = await turns.run_turn(_inbound("what is for lunch"))
    assert outbound.agent == "help"
    assert "did not find an agent" in outbound.reply.text
    assert [item.label for item in outbound.reply.items] == ["help", "echo", "broken"]


def _memory_stores() -> TurnStores:
    events, conversations, traces = MemoryEvents(), MemoryConversations(), MemoryTraces()
    return TurnStores(replies=conversations, ledger=MemoryLedger(events, conversations, traces))


def test_duplicate_agent_names_are_a_config_error() -> None:
    """Two agents with one name cannot be registered."""
    stores = _memory_stores()
    with pytest.raises(ConfigError, match="unique"):
        build_turns([HelpAgent(), HelpAgent()], fallback="help", stores=stores, clock=FakeClock())


def test_unknown_fallback_is_a_config_error() -> None:
    """The fallback agent must be registered."""
    stores = _memory_stores()
    with pytest.raises(ConfigError, match="fallback"):
        build_turns([HelpAgent()], fallback="nope", stores=stores, clock=FakeClock())


class QuotingAgent:
    info = AgentInfo("quote", "Quotes a document.", keywords=("quote",))

    async def handle(self, turn: TurnContext) -> Reply:
        key = "AKIA" + "ABCDEFGHIJKLMNOP"
        return Reply(
            text="From the runbooks:",
            title=f"Runbook {key}",
            items=(ReplyItem(f"ops.md {key}", f"The key is {key}."),),
            note=f"quoted {key}",
        )


async def test_a_secret_anywhere_in_a_reply_is_redacted_before_it_is_stored() -> None:
    """An agent's items, title and note are shown as much as its text (a knowledge answer's
    items carry the model's answer): a secret in any of them is redacted."""
    conversations, traces, events = MemoryConversations(), MemoryTraces(), MemoryEvents()
    turns = build_turns(
        [HelpAgent(), QuotingAgent()],
        fallback="help",
        stores=TurnStores(
            replies=conversations, ledger=MemoryLedger(events, conversations, traces)
        ),
        clock=FakeClock(),
    )
    outbound = await turns.run_turn(_inbound("quote: ops"))
    reply = outbound.reply
    assert reply.title == "Runbook [redacted:aws-access-key]"
    assert reply.items == (
        ReplyItem("ops.md [redacted:aws-access-key]", "The key is [redacted:aws-access-key]."),
    )
    assert reply.note == "quoted [redacted:aws-access-key]"
    stored = await conversations.find_reply("trace-1")
    assert stored is not None and "AKIA" not in repr(stored.reply)


@pytest.mark.parametrize(
    "where", ["text", "title", "note", "first label", "last detail", "a part's end"]
)
def test_one_secret_in_any_one_part_of_a_reply_is_redacted(where: str) -> None:
    """The whole reply is tested once before its parts: a secret in only one part (the
    rest clean), or split by nothing but the end of a part, still reaches the redaction."""
    key = "AKIA" + "ABCDEFGHIJKLMNOP"
    items = [ReplyItem("help", "Lists what I can do."), ReplyItem("deploy", "Deploys.")]
    parts: dict[str, str] = {"text": "Here is what I can do.", "title": "Help", "note": "ok"}
    if where == "first label":
        items[0] = ReplyItem(f"help {key}", "Lists what I can do.")
    elif where == "last detail":
        items[-1] = ReplyItem("deploy", f"Deploys with {key}.")
    elif where == "a part's end":
        parts["text"] = f"ends with {key}"
    else:
        parts[where] = f"{parts[where]} {key}"
    reply = redacted(
        Reply(text=parts["text"], title=parts["title"], note=parts["note"], items=tuple(items))
    )
    assert key not in repr(reply) and "[redacted:aws-access-key]" in repr(reply)


def test_a_reply_without_any_secret_is_its_own_redaction() -> None:
    """Nothing changes in a reply with nothing to redact (the help answer, for one)."""
    reply = Reply(
        text="Here is what I can do.\n• help: Lists what Switchboard can do.",
        title="Switchboard help",
        items=(ReplyItem("help", "Lists what Switchboard can do."),),
        note="In a thread.",
    )
    assert redacted(reply) == reply
