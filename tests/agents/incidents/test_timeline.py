"""Pins over in-memory ports: a message joins its incident's timeline once."""

from __future__ import annotations

from datetime import UTC, datetime

from agents.incidents.ports import SlackMessage
from agents.incidents.timeline import Pins, message_time
from tests.agents.incidents.world import world


async def test_a_pinned_message_is_read_linked_and_kept_once() -> None:
    """Read from Slack when the event did not carry it; kept with its author, time and
    link; a second pin of the same message adds nothing."""
    store, _, board, _ = await world()
    board.messages["1700000000.000100"] = SlackMessage("1700000000.000100", "U5", "failover")
    pins = Pins(store, board=board)
    assert await pins.pinned(team_id="T1", channel_id="CINC1", ts="1700000000.000100")
    assert not await pins.pinned(team_id="T1", channel_id="CINC1", ts="1700000000.000100")
    stored = await store.get("inc-1")
    assert stored is not None
    (entry,) = [e for e in stored.timeline if e.kind == "pinned"]
    assert (entry.user_id, entry.text, entry.source_ts) == ("U5", "failover", "1700000000.000100")
    assert entry.at == datetime(2023, 11, 14, 22, 13, 20, 100, tzinfo=UTC)
    assert entry.link == "https://example.slack.com/archives/CINC1/p1700000000000100"


async def test_pins_elsewhere_or_unreadable_are_ignored() -> None:
    """No incident in the channel, a message Slack cannot give, or a ts that is no time."""
    store, _, board, _ = await world()
    pins = Pins(store, board=board)
    assert not await pins.pinned(team_id="T1", channel_id="C0GENERAL", ts="1.1")
    assert not await pins.pinned(team_id="T1", channel_id="CINC1", ts="1.1")
    given = SlackMessage("nonsense", "U5", "x")
    assert not await pins.pinned(team_id="T1", channel_id="CINC1", ts="nonsense", message=given)
    assert message_time("nonsense") is None


async def test_the_message_in_the_event_is_used_and_cut_to_a_thousand_characters() -> None:
    """``pin_added`` carries the message: it is not read again; long text is cut."""
    store, _, board, _ = await world()
    message = SlackMessage("1700000000.000200", "U6", "x" * 1500)
    assert await Pins(store, board=board).pinned(
        team_id="T1", channel_id="CINC1", ts=message.ts, message=message
    )
    stored = await store.get("inc-1")
    assert stored is not None and len(stored.timeline[-1].text) == 1000
