"""The pure pieces: ts and ids, rich text, the message store's threads and paging, and the
seeded workspace."""

from __future__ import annotations

import pytest

from sandbox.ids import IdFactory
from sandbox.messages import CursorError, MessageStore, Window, normalize_ts
from sandbox.richtext import mentions, rich_text_blocks
from sandbox.state import Directory


def _store(count: int) -> tuple[MessageStore, list[str]]:
    store = MessageStore()
    stamps = [f"1700000000.{i:06d}" for i in range(1, count + 1)]
    for ts in stamps:
        store.add("C1", {"ts": ts, "user": "U1", "text": ts})
    return store, stamps


def test_ts_are_unique_and_increasing_even_when_the_clock_stalls() -> None:
    """Message ts never repeat or go back, whatever the wall clock does."""
    ids = IdFactory(clock=lambda: 1_700_000_000.0)
    stamps = [ids.ts() for _ in range(3)]
    assert stamps == ["1700000000.000000", "1700000000.000001", "1700000000.000002"]
    assert len({ids.event_id() for _ in range(1000)}) == 1000


def test_normalize_ts() -> None:
    """A ts is normalized to a fixed width that sorts as text; junk is refused."""
    assert normalize_ts("0") == "0000000000.000000"
    assert normalize_ts("1700000000.1") == "1700000000.100000"
    with pytest.raises(ValueError, match="not a ts"):
        normalize_ts("yesterday")


def test_rich_text_and_mentions() -> None:
    """mrkdwn text becomes rich_text elements; mentions are found in order."""
    text = "<!here> ask <@U0BOT> in <#C0GENERAL|general> see <https://x.io|docs> &lt;3"
    (block,) = rich_text_blocks(text, block_id="b1")
    elements = block["elements"][0]["elements"]
    assert elements == [
        {"type": "broadcast", "range": "here"},
        {"type": "text", "text": " ask "},
        {"type": "user", "user_id": "U0BOT"},
        {"type": "text", "text": " in "},
        {"type": "channel", "channel_id": "C0GENERAL"},
        {"type": "text", "text": " see "},
        {"type": "link", "url": "https://x.io", "text": "docs"},
        {"type": "text", "text": " <3"},
    ]
    assert mentions("<@U1> and <@U2|bob>") == ["U1", "U2"]


def test_history_windows_and_cursors() -> None:
    """History pages newest first within oldest/latest; a forged cursor is refused."""
    store, stamps = _store(5)
    page = store.history("C1", Window(limit=2))
    assert [m["ts"] for m in page.messages] == [stamps[4], stamps[3]]
    rest = store.history("C1", Window(limit=5, cursor=page.next_cursor))
    assert [m["ts"] for m in rest.messages] == [stamps[2], stamps[1], stamps[0]]
    assert not rest.has_more
    inside = store.history("C1", Window(limit=9, oldest=stamps[1], latest=stamps[3]))
    assert [m["ts"] for m in inside.messages] == [stamps[2]]
    both = Window(limit=9, oldest=stamps[1], latest=stamps[3], inclusive=True)
    assert len(store.history("C1", both).messages) == 3
    with pytest.raises(CursorError):
        store.history("C1", Window(limit=1, cursor="bm9wZQ=="))


def test_threads_and_broadcasts() -> None:
    """Replies stay out of history unless broadcast; the parent keeps the thread's counts."""
    store, stamps = _store(1)
    store.add("C1", {"ts": "1700000001.000001", "user": "U2"}, thread_ts=stamps[0])
    store.add("C1", {"ts": "1700000001.000002", "user": "U2"}, thread_ts=stamps[0], broadcast=True)
    parent = store.get("C1", stamps[0])
    assert parent is not None
    assert (parent["reply_count"], parent["reply_users"], parent["reply_users_count"]) == (
        2,
        ["U2"],
        1,
    )
    timeline = [m["ts"] for m in store.timeline("C1")]
    assert timeline == [stamps[0], "1700000001.000002"]
    assert store.timeline("C1")[1]["subtype"] == "thread_broadcast"
    assert store.thread_root("C1", "1700000001.000001") == stamps[0]
    assert len(store.thread("C1", "1700000001.000001")) == 3
    assert store.delete("C1", stamps[0]) is parent
    assert store.timeline("C1") == []
    assert store.get("C1", "1700000001.000001") is None


def test_seeded_workspace() -> None:
    """The seed has alice, bob, carol, the bot, and the channels tests rely on."""
    directory = Directory(team_id="T1", bot_user_id="U0BOT", bot_id="B1", app_id="A1")
    directory.seed()
    assert {"U0ALICE", "U0BOB", "U0CAROL", "U0BOT"} <= directory.users.keys()
    assert "U0BOT" in directory.channels["C0GENERAL"].members
    assert "U0BOT" not in directory.channels["C0RANDOM"].members
    assert directory.channels["G0PRIVATE"].members == {"U0ALICE", "U0BOT"}
    assert directory.channels["D0ALICE"].im_user == "U0ALICE"
    assert directory.resolve_channel("#general") is directory.channels["C0GENERAL"]
    assert directory.resolve_channel("U0BOB") is directory.channels["D0BOB"]
    assert directory.resolve_channel("U0CAROL") is not None  # a DM opened on demand
