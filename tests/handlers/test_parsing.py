"""Slack payloads become domain messages: which events are for the bot, and what they say."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from handlers.parsing import (
    command_inbound,
    event_candidate,
    event_fields,
    message_inbound,
    strip_mention,
)

SAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "slack_samples"
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
BOT = "U0BOT"


def _event(**fields: str) -> dict[str, str]:
    base = {"type": "message", "channel": "C1", "user": "U1", "text": "hi", "ts": "1.000100"}
    base.update(fields)
    return base


def test_mention_is_answered_in_a_new_thread_on_its_message() -> None:
    """A top-level @mention starts a thread on the mention itself."""
    fields = event_fields(_event(type="app_mention", text=f"<@{BOT}> help"))
    assert fields is not None
    assert event_candidate(fields, bot_user_id=BOT) == "mention"
    inbound = message_inbound(
        fields, kind="mention", team_id="T1", event_id="Ev1", trace_id="t", bot_user_id=BOT, now=NOW
    )
    assert (inbound.text, inbound.thread_ts, inbound.source) == ("help", "1.000100", "mention")


def test_mention_inside_a_thread_stays_in_that_thread() -> None:
    """A mention in an existing thread is answered in that thread."""
    fields = event_fields(_event(type="app_mention", thread_ts="0.5", text=f"<@{BOT}> hi"))
    assert fields is not None
    inbound = message_inbound(
        fields, kind="mention", team_id="T1", event_id="E", trace_id="t", bot_user_id=BOT, now=NOW
    )
    assert inbound.thread_ts == "0.5"


def test_direct_message_is_answered_at_top_level() -> None:
    """A top-level DM gets a top-level answer (no thread)."""
    fields = event_fields(_event(channel="D1", channel_type="im"))
    assert fields is not None
    assert event_candidate(fields, bot_user_id=BOT) == "dm"
    inbound = message_inbound(
        fields, kind="dm", team_id="T1", event_id="E", trace_id="t", bot_user_id=BOT, now=NOW
    )
    assert (inbound.thread_ts, inbound.source) == (None, "dm")


def test_thread_reply_without_mention_is_a_candidate() -> None:
    """A reply in a channel thread may be for the bot (if it takes part in the thread)."""
    fields = event_fields(_event(channel_type="channel", thread_ts="0.5"))
    assert fields is not None
    assert event_candidate(fields, bot_user_id=BOT) == "thread_reply"


def test_channel_message_mentioning_the_bot_is_left_to_app_mention() -> None:
    """The `message` twin of an @mention is ignored so the bot answers once."""
    fields = event_fields(_event(channel_type="channel", thread_ts="0.5", text=f"<@{BOT}> hi"))
    assert fields is not None
    assert event_candidate(fields, bot_user_id=BOT) == "ignore"


def test_top_level_channel_chatter_is_ignored() -> None:
    """A channel message that is neither a mention nor in a thread is not for the bot."""
    fields = event_fields(_event(channel_type="channel"))
    assert fields is not None
    assert event_candidate(fields, bot_user_id=BOT) == "ignore"


@pytest.mark.parametrize(
    "extra",
    [{"bot_id": "B9"}, {"subtype": "bot_message"}, {"subtype": "message_changed"}],
)
def test_bot_messages_and_subtypes_are_ignored(extra: dict[str, str]) -> None:
    """Bots (ourselves included) and edits/deletes are never answered."""
    fields = event_fields({**_event(channel_type="im"), **extra})
    assert fields is not None
    assert event_candidate(fields, bot_user_id=BOT) == "ignore"


def test_event_missing_required_fields_parses_to_none() -> None:
    """No channel or ts: the event is not parsed (and is acked quietly by the caller)."""
    assert event_fields({"type": "message", "text": "x"}) is None


def test_real_slack_samples_parse_with_their_extra_keys() -> None:
    """Slack's own sample payloads (supersets of keys) parse without error."""
    for name in ("AppMentionPayload.json", "MessagePayload.json", "MessageBotPayload.json"):
        payload = json.loads((SAMPLES / "events" / name).read_text())
        assert event_fields(payload["event"]) is not None, name


def test_strip_mention_removes_only_the_bot() -> None:
    """Other people's mentions stay in the text."""
    assert strip_mention(f"<@{BOT}> ask <@U2|ana> about it", BOT) == "ask <@U2|ana> about it"


def test_slash_command_uses_trigger_id_as_dedupe_key() -> None:
    """`/ops help` becomes a command message keyed by its trigger id."""
    body = {
        "team_id": "T1",
        "channel_id": "C1",
        "user_id": "U1",
        "command": "/ops",
        "text": " help ",
        "trigger_id": "123.456.abc",
    }
    inbound = command_inbound(body, trace_id="t", now=NOW)
    assert inbound is not None
    assert (inbound.event_id, inbound.text, inbound.source) == (
        "cmd:123.456.abc",
        "help",
        "command",
    )


def test_slash_command_missing_fields_parses_to_none() -> None:
    """A command payload without a user is rejected quietly."""
    assert command_inbound({"command": "/ops", "trigger_id": "x"}, trace_id="t", now=NOW) is None
