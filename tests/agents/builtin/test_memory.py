"""The memory agent: remember in a scope, recall only what the asker may see, forget."""

from __future__ import annotations

from agents.builtin.memory import MemoryAgent
from agents.kernel.models import Inbound, Route
from agents.turns.agent import TurnContext
from tests.agents.fakes import FakeClock
from tests.agents.fakes_notes import MemoryNotes


def _turn(text: str, *, channel: str = "C1", user: str = "U1", trace: str = "t1") -> TurnContext:
    inbound = Inbound(
        team_id="T1",
        channel_id=channel,
        user_id=user,
        text=text,
        source="mention",
        event_id=f"E{trace}",
        trace_id=trace,
        received_at=FakeClock().now(),
        ts=f"17.{trace}",
        thread_ts=None,
    )
    return TurnContext(inbound=inbound, route=Route("memory", "explicit", 1.0, text), catalog=())


async def test_remember_recall_and_forget_in_a_channel() -> None:
    """A channel note is recalled there, not in another channel, and can be forgotten."""
    notes = MemoryNotes()
    agent = MemoryAgent(notes, clock=FakeClock())
    saved = await agent.handle(_turn("remember that payments is owned by <@U0ANA>"))
    assert saved.text == "Noted for this channel: payments is owned by <@U0ANA>"
    here = await agent.handle(_turn("what do you remember about payments?", trace="t2"))
    assert "payments is owned by <@U0ANA>" in here.text
    elsewhere = await agent.handle(_turn("what do you remember about payments?", channel="C2"))
    assert elsewhere.text == "I remember nothing about payments that you can see."
    gone = await agent.handle(_turn("forget payments owner", trace="t3"))
    assert gone.text == "I had no note with all of those words."  # "owner" is not in it
    gone = await agent.handle(_turn("forget payments owned", trace="t4"))
    assert gone.text == "Forgot 1 note."
    assert notes.rows == {}


async def test_personal_and_team_notes_are_scoped() -> None:
    """`for me` is seen by its author anywhere, by nobody else; `for everyone` by all."""
    notes = MemoryNotes()
    agent = MemoryAgent(notes, clock=FakeClock())
    await agent.handle(_turn("remember for me that my laptop is mac-42", trace="a"))
    await agent.handle(_turn("remember for everyone that standup is at 10", trace="b"))
    mine = await agent.handle(_turn("recall", channel="C9", trace="c"))
    assert "mac-42" in mine.text and "standup" in mine.text
    theirs = await agent.handle(_turn("recall", channel="C9", user="U2", trace="d"))
    assert "mac-42" not in theirs.text and "standup" in theirs.text


async def test_the_note_keeps_its_source_message() -> None:
    """A note remembers which Slack message it came from (for edits and deletions)."""
    notes = MemoryNotes()
    agent = MemoryAgent(notes, clock=FakeClock())
    await agent.handle(_turn("remember the db password rotates monthly", trace="x"))
    (note,) = notes.rows.values()
    assert (note.source_channel, note.source_ts, note.note_id) == ("C1", "17.x", "note-x")


async def test_not_set_up_is_a_clear_answer() -> None:
    """Without a store the agent says so."""
    reply = await MemoryAgent(None, clock=FakeClock()).handle(_turn("recall"))
    assert "not set up" in reply.text


async def test_a_note_for_an_agent_is_scoped_to_that_agent() -> None:
    """`remember for the deploy agent that …` makes an agent-scoped note."""
    notes = MemoryNotes()
    agent = MemoryAgent(notes, clock=FakeClock())
    reply = await agent.handle(_turn("remember for the deploy agent that prod needs two approvals"))
    (note,) = notes.rows.values()
    assert (note.scope, note.scope_id) == ("agent", "deploy")
    assert reply.text == "Noted for the deploy agent: prod needs two approvals"
