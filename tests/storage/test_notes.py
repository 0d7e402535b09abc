"""NoteStore contract: scoped recall, forget, forget by source and person, retention; and
the conversation store's edit, erase and purge."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from agents.memory.notes import Note, Viewer
from storage import Database
from tests.storage.builders import T0, inbound

ALICE_HERE = Viewer("T1", "C1", "U1")


def _note(n: int, **changes: object) -> Note:
    value = Note(
        note_id=f"note-{n}",
        team_id="T1",
        scope="channel",
        scope_id="C1",
        text=f"payments is owned by ana ({n})",
        author="U1",
        created_at=T0 + timedelta(minutes=n),
        source_channel="C1",
        source_ts=f"1700000000.00000{n}",
    )
    return replace(value, **changes)  # type: ignore[arg-type]


async def test_recall_sees_team_channel_own_and_agent_notes_only(database: Database) -> None:
    """Another channel's note, another person's note and another team's note stay hidden."""
    visible = [
        _note(1),
        _note(2, scope="team", scope_id=""),
        _note(3, scope="user", scope_id="U1"),
        _note(4, scope="agent", scope_id="deploy"),
    ]
    hidden = [
        _note(5, scope_id="C2"),
        _note(6, scope="user", scope_id="U2"),
        _note(7, team_id="T2"),
    ]
    for note in visible + hidden:
        await database.notes.add(note)
    viewer = Viewer("T1", "C1", "U1", "deploy")
    found = await database.notes.recall(viewer, words=["payments"], limit=10)
    assert [n.note_id for n in found] == ["note-4", "note-3", "note-2", "note-1"]
    assert await database.notes.recall(viewer, words=["nothing"], limit=10) == []
    assert len(await database.notes.recall(viewer, words=[], limit=2)) == 2


async def test_adding_the_same_note_twice_keeps_one(database: Database) -> None:
    """A re-run turn adds its note once."""
    await database.notes.add(_note(1))
    await database.notes.add(_note(1))
    assert len(await database.notes.recall(ALICE_HERE, words=[], limit=10)) == 1


async def test_recall_words_are_literal_not_patterns(database: Database) -> None:
    """`%` and `_` in a query match themselves only."""
    await database.notes.add(_note(1, text="disk at 95% on db_1"))
    await database.notes.add(_note(2, text="disk fine"))
    found = await database.notes.recall(ALICE_HERE, words=["95%"], limit=10)
    assert [n.note_id for n in found] == ["note-1"]
    assert await database.notes.recall(ALICE_HERE, words=["db%1"], limit=10) == []


async def test_forget_needs_every_word_and_only_visible_notes(database: Database) -> None:
    """`forget payments ana` deletes the visible matching note, not another channel's."""
    await database.notes.add(_note(1))
    await database.notes.add(_note(2, scope_id="C2"))
    await database.notes.add(_note(3, text="payments is on call"))
    assert await database.notes.forget(ALICE_HERE, words=["payments", "ana"]) == 1
    left = await database.notes.recall(Viewer("T1", "C2", "U1"), words=[], limit=10)
    assert [n.note_id for n in left] == ["note-2"]
    assert await database.notes.forget(ALICE_HERE, words=[]) == 0


async def test_forget_source_user_and_purge(database: Database) -> None:
    """A deleted message's notes, a person's notes, and old notes can each be erased."""
    await database.notes.add(_note(1))
    await database.notes.add(_note(2, author="U2"))
    await database.notes.add(_note(3, scope="user", scope_id="U2", author="U1"))
    await database.notes.add(_note(4, created_at=T0 - timedelta(days=400)))
    assert (
        await database.notes.forget_source(team_id="T1", channel_id="C1", ts=_note(1).source_ts)
        == 1
    )
    assert await database.notes.forget_user(team_id=None, user_id="U2") == 2
    assert await database.notes.purge(before=T0 - timedelta(days=365)) == 1
    assert await database.notes.recall(ALICE_HERE, words=[], limit=10) == []


async def test_messages_are_edited_erased_and_purged(database: Database) -> None:
    """The stored copy follows Slack: edits replace the text, deletions and erasure remove it."""
    for n in (1, 2, 3):
        await database.conversations.record_inbound(inbound(n))
    key = inbound(1).conversation
    first = inbound(1)
    assert (
        await database.conversations.edit_message(
            team_id="T1", channel_id=first.channel_id, ts=first.ts, text="edited"
        )
        == 1
    )
    texts = [m.text for m in await database.conversations.messages(key, limit=10)]
    assert "edited" in texts
    assert (
        await database.conversations.erase_message(
            team_id="T1", channel_id=first.channel_id, ts=first.ts
        )
        == 1
    )
    assert (
        await database.conversations.erase_message(
            team_id="T1", channel_id="C-other", ts=inbound(2).ts
        )
        == 0
    )
    assert await database.conversations.erase_user(team_id="T2", user_id=inbound(2).user_id) == 0
    remaining = await database.conversations.messages(key, limit=10)
    assert "edited" not in [m.text for m in remaining]
    later = max(inbound(n).received_at for n in (1, 2, 3)) + timedelta(seconds=1)
    assert await database.conversations.purge(before=later) == len(remaining)
