"""ConversationStore contract: inbound messages, replies and their delivery, history."""

from __future__ import annotations

from dataclasses import replace

from agents.kernel.models import ConversationKey, Reply, StoredMessage
from storage import Database
from tests.storage.builders import at, inbound, outbound

THREAD = ConversationKey("T1", "C1", "1700000000.000001")


async def test_record_inbound_stores_the_message(database: Database) -> None:
    """A recorded inbound message is the conversation's history, as received."""
    await database.conversations.record_inbound(inbound(1))
    assert await database.conversations.messages(THREAD, limit=10) == [
        StoredMessage("in", "U1", "message 1", "trace-1", "1700000000.000001", at(1))
    ]


async def test_record_inbound_is_idempotent_per_trace_id(database: Database) -> None:
    """Recording the same turn's message twice stores it once."""
    await database.conversations.record_inbound(inbound(1))
    await database.conversations.record_inbound(inbound(1))
    await database.conversations.record_inbound(inbound(1, text="edited", received_at=at(50)))
    history = await database.conversations.messages(THREAD, limit=10)
    assert [(m.trace_id, m.text, m.created_at) for m in history] == [
        ("trace-1", "message 1", at(1))
    ]


async def test_a_slash_command_message_has_no_ts(database: Database) -> None:
    """An inbound message without a Slack ts (slash command) is stored with ts None."""
    await database.conversations.record_inbound(inbound(1, ts="", thread_ts=None))
    [stored] = await database.conversations.messages(ConversationKey("T1", "C1", ""), limit=1)
    assert stored.ts is None


async def test_reply_is_pending_then_sent(database: Database) -> None:
    """A recorded reply is found pending with its full content, then sent with its ts."""
    assert await database.conversations.find_reply("trace-1") is None
    await database.conversations.record_reply(outbound(1), now=at(2))
    assert await database.conversations.find_reply("trace-1") == outbound(1)
    await database.conversations.mark_sent(trace_id="trace-1", ts="1700000002.000100")
    assert await database.conversations.find_reply("trace-1") == replace(
        outbound(1), status="sent", ts="1700000002.000100"
    )


async def test_record_reply_is_idempotent_per_trace_id(database: Database) -> None:
    """Recording a turn's reply again keeps the first one (and its delivery state)."""
    await database.conversations.record_reply(outbound(1), now=at(2))
    await database.conversations.mark_sent(trace_id="trace-1", ts="1700000002.000100")
    await database.conversations.record_reply(outbound(1, reply=Reply("something else")), now=at(3))
    found = await database.conversations.find_reply("trace-1")
    assert found == replace(outbound(1), status="sent", ts="1700000002.000100")


async def test_top_level_reply_round_trips_without_thread(database: Database) -> None:
    """A reply at a channel's top level comes back with thread_ts None and no title/items."""
    top = outbound(1, thread_ts=None, reply=Reply("plain"))
    await database.conversations.record_reply(top, now=at(2))
    assert await database.conversations.find_reply("trace-1") == top


async def test_a_replys_record_line_round_trips(database: Database) -> None:
    """The system-written record of a turn's tool calls is stored with the reply."""
    recorded = outbound(
        1, reply=Reply("text", note="a note", record="Switchboard: refused `x`: not offered")
    )
    await database.conversations.record_reply(recorded, now=at(2))
    assert await database.conversations.find_reply("trace-1") == recorded


async def test_mark_sent_of_an_unknown_reply_is_harmless(database: Database) -> None:
    """Marking a reply that was never recorded changes nothing and raises nothing."""
    await database.conversations.mark_sent(trace_id="nope", ts="1.2")
    assert await database.conversations.find_reply("nope") is None


async def test_has_conversation_once_the_bot_replied(database: Database) -> None:
    """The bot takes part in a conversation once it recorded a reply there, not before."""
    assert await database.conversations.has_conversation(THREAD) is False
    await database.conversations.record_inbound(inbound(1))
    assert await database.conversations.has_conversation(THREAD) is False
    await database.conversations.record_reply(outbound(1), now=at(2))
    assert await database.conversations.has_conversation(THREAD) is True
    assert await database.conversations.has_conversation(ConversationKey("T1", "C1", "")) is False
    assert await database.conversations.has_conversation(replace(THREAD, team_id="T2")) is False


async def test_messages_returns_the_newest_oldest_first(database: Database) -> None:
    """History holds both directions in order; a limit keeps the newest, oldest first."""
    for n in (1, 2, 3):
        await database.conversations.record_inbound(inbound(n))
        await database.conversations.record_reply(outbound(n), now=at(n + 0.5))
    history = await database.conversations.messages(THREAD, limit=10)
    assert [(m.direction, m.trace_id) for m in history] == [
        ("in", "trace-1"),
        ("out", "trace-1"),
        ("in", "trace-2"),
        ("out", "trace-2"),
        ("in", "trace-3"),
        ("out", "trace-3"),
    ]
    newest = await database.conversations.messages(THREAD, limit=3)
    assert [(m.direction, m.text) for m in newest] == [
        ("out", "reply 2"),
        ("in", "message 3"),
        ("out", "reply 3"),
    ]
    assert newest[-1].user_id == ""
    assert newest[-1].created_at == at(3.5)
    assert await database.conversations.messages(THREAD, limit=0) == []


async def test_messages_are_kept_per_conversation(database: Database) -> None:
    """Messages of other threads, channels and teams stay out of a conversation."""
    await database.conversations.record_inbound(inbound(1))
    await database.conversations.record_inbound(inbound(2, thread_ts="other"))
    await database.conversations.record_inbound(inbound(3, channel_id="C2"))
    await database.conversations.record_inbound(inbound(4, team_id="T2"))
    history = await database.conversations.messages(THREAD, limit=10)
    assert [m.trace_id for m in history] == ["trace-1"]
    assert await database.conversations.messages(ConversationKey("T9", "C9", ""), limit=5) == []


async def test_ask_back_choices_and_notes_survive_a_round_trip(database: Database) -> None:
    """A reply with agent choices and a planner note reads back whole (a re-posted question
    after a crash still has its buttons)."""
    asking = outbound(
        1,
        reply=Reply(
            text="Which agent?",
            choices=("deploy", "oncall"),
            asked="should I deploy",
            asked_by="U1",
            note="Answered by the rules planner: the language model is unavailable.",
        ),
    )
    await database.conversations.record_reply(asking, now=inbound(1).received_at)
    assert await database.conversations.find_reply("trace-1") == asking


def test_stored_times_parse_as_utc_with_or_without_an_offset() -> None:
    """SQLite keeps naive UTC text; a value that carries an offset is converted to UTC."""
    from datetime import UTC, datetime

    from storage.conversations.context import _utc

    assert _utc("2026-11-29 12:00:00.000001") == datetime(2026, 11, 29, 12, 0, 0, 1, tzinfo=UTC)
    assert _utc("2026-11-29 13:00:00+01:00") == datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
