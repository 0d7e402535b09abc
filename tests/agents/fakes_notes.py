"""An in-memory ``NoteStore`` with the SQL store's scoping."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from agents.memory.notes import Note, Viewer


def _visible(note: Note, viewer: Viewer) -> bool:
    if note.team_id != viewer.team_id:
        return False
    return (
        note.scope == "team"
        or (note.scope == "channel" and note.scope_id == viewer.channel_id)
        or (note.scope == "user" and note.scope_id == viewer.user_id)
        or (note.scope == "agent" and note.scope_id == viewer.agent)
    )


class MemoryNotes:
    """``NoteStore`` in a dict."""

    def __init__(self) -> None:
        self.rows: dict[str, Note] = {}

    async def add(self, note: Note) -> None:
        self.rows.setdefault(note.note_id, note)

    async def recall(self, viewer: Viewer, *, words: Sequence[str], limit: int) -> Sequence[Note]:
        found = [
            n
            for n in self.rows.values()
            if _visible(n, viewer) and (not words or any(w in n.text.lower() for w in words))
        ]
        return sorted(found, key=lambda n: n.created_at, reverse=True)[:limit]

    async def forget(self, viewer: Viewer, *, words: Sequence[str]) -> int:
        gone = [
            k
            for k, n in self.rows.items()
            if words and _visible(n, viewer) and all(w in n.text.lower() for w in words)
        ]
        for key in gone:
            del self.rows[key]
        return len(gone)

    async def purge(self, *, before: datetime) -> int:
        gone = [k for k, n in self.rows.items() if n.created_at < before]
        for key in gone:
            del self.rows[key]
        return len(gone)


class MemoryThreads:
    """``ThreadMemoryStore`` in a dict."""

    def __init__(self) -> None:
        from agents.kernel.models import ConversationKey
        from agents.memory.threads import ThreadMemory

        self.rows: dict[ConversationKey, ThreadMemory] = {}
        self.saves = 0
        self._empty = ThreadMemory()

    async def get(self, key):  # type: ignore[no-untyped-def]
        return self.rows.get(key, self._empty)

    async def pin(self, key, fact, *, now):  # type: ignore[no-untyped-def]
        from dataclasses import replace

        memory = self.rows.get(key, self._empty)
        if fact not in memory.facts:
            memory = replace(memory, facts=(*memory.facts, fact))
        self.rows[key] = memory
        return memory

    async def save_summary(self, key, *, summary, covered, now):  # type: ignore[no-untyped-def]
        from dataclasses import replace

        self.saves += 1
        self.rows[key] = replace(self.rows.get(key, self._empty), summary=summary, covered=covered)

    async def purge(self, *, before):  # type: ignore[no-untyped-def]
        return 0
