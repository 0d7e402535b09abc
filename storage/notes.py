"""Long-term notes with scoped recall (see :mod:`agents.memory.notes`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, get_args

from sqlalchemy import ColumnElement, and_, delete, or_, select

from agents.memory.notes import Note, NoteScope, NoteStore, Viewer
from storage._records import from_row, row_values
from storage._seam import SqlStore, count_changed, execute, fetch_all, narrow
from storage._seam import insert as upsert
from storage.tables import notes

__all__ = ["SqlNoteStore"]

_SCOPES: tuple[NoteScope, ...] = get_args(NoteScope)


class SqlNoteStore(SqlStore, NoteStore):
    """``NoteStore`` on SQL."""

    async def add(self, note: Note) -> None:
        """Store a note."""
        statement = upsert(self._db.dialect, notes).values(**row_values(note))
        # On conflict, nothing: a re-run turn adds it once.
        await execute(self._db.write, statement.on_conflict_do_nothing(), action="store a note")

    async def recall(self, viewer: Viewer, *, words: Sequence[str], limit: int) -> Sequence[Note]:
        """Visible notes containing any of ``words``, newest first."""
        statement = select(notes).where(_visible(viewer))
        if words:
            statement = statement.where(
                or_(*(notes.c.text.ilike(_like(w), escape="\\") for w in words))
            )
        statement = statement.order_by(notes.c.created_at.desc(), notes.c.note_id).limit(limit)
        rows = await fetch_all(self._db.read, statement, action="recall notes")
        return [_note(row) for row in rows]

    async def forget(self, viewer: Viewer, *, words: Sequence[str]) -> int:
        """Delete visible notes containing every word."""
        if not words:
            return 0
        statement = delete(notes).where(
            _visible(viewer), *(notes.c.text.ilike(_like(w), escape="\\") for w in words)
        )
        return await count_changed(self._db.write, statement, action="forget notes")

    async def purge(self, *, before: datetime) -> int:
        """Delete notes older than ``before``."""
        statement = delete(notes).where(notes.c.created_at < before)
        return await count_changed(self._db.write, statement, action="purge notes")


def _like(word: str) -> str:
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _visible(viewer: Viewer) -> ColumnElement[bool]:
    return and_(
        notes.c.team_id == viewer.team_id,
        or_(
            notes.c.scope == "team",
            and_(notes.c.scope == "channel", notes.c.scope_id == viewer.channel_id),
            and_(notes.c.scope == "user", notes.c.scope_id == viewer.user_id),
            and_(notes.c.scope == "agent", notes.c.scope_id == viewer.agent),
        ),
    )


def _note(row: Any) -> Note:
    return from_row(Note, row, scope=narrow(row.scope, _SCOPES, column="notes.scope"))
