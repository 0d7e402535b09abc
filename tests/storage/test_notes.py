"""NoteStore contract: scoped recall, forget and retention (erasure: test_erasure.py)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from agents.memory.notes import Note, Viewer
from storage import Database
from tests.storage.builders import T0

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


async def test_old_notes_are_purged(database: Database) -> None:
    """Retention deletes the notes created before its bound, and only those."""
    await database.notes.add(_note(1))
    await database.notes.add(_note(4, created_at=T0 - timedelta(days=400)))
    assert await database.notes.purge(before=T0 - timedelta(days=365)) == 1
    assert [n.note_id for n in await database.notes.recall(ALICE_HERE, words=[], limit=10)] == [
        "note-1"
    ]
