"""Long-term notes: what people asked Switchboard to remember, scoped so that nothing leaks.

A note belongs to one scope: the whole workspace (``team``), one channel, one person
(``user``), or one agent. Recall sees the workspace's notes, the asking channel's, the asking
person's own, and the answering agent's — never another channel's or another person's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

from agents.kernel.words import content_words

__all__ = ["Note", "NoteScope", "NoteStore", "Viewer", "content_words"]

NoteScope = Literal["team", "channel", "user", "agent"]


@dataclass(frozen=True, slots=True)
class Note:
    """One remembered fact.

    Attributes:
        scope_id: the channel id, user id or agent name the note belongs to (``""`` for team).
        author: who asked to remember it.
        source_ts: the Slack message it came from (so an edit or deletion reaches it).
    """

    note_id: str
    team_id: str
    scope: NoteScope
    scope_id: str
    text: str
    author: str
    created_at: datetime
    source_channel: str = ""
    source_ts: str = ""


@dataclass(frozen=True, slots=True)
class Viewer:
    """Who is asking, and where: decides which notes are visible."""

    team_id: str
    channel_id: str
    user_id: str
    agent: str = ""


class NoteStore(Protocol):
    """Durable notes with scoped recall."""

    async def add(self, note: Note) -> None:
        """Store a note."""
        ...

    async def recall(self, viewer: Viewer, *, words: Sequence[str], limit: int) -> Sequence[Note]:
        """Visible notes containing any of ``words`` (all visible notes when empty), newest
        first."""
        ...

    async def forget(self, viewer: Viewer, *, words: Sequence[str]) -> int:
        """Delete the visible notes containing every one of ``words``; returns how many."""
        ...

    async def purge(self, *, before: datetime) -> int:
        """Delete notes created before ``before`` (retention); returns how many."""
        ...
