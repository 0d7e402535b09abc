"""The ports erasure and retention work through: every store that holds something a person
wrote or something derived from it, each able to forget it.

``storage/`` implements them (notes and thread memory have their ports in
:mod:`agents.memory.notes` and :mod:`agents.memory.threads`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

__all__ = ["MessageStore", "MissLog", "Purgeable", "VoteStore"]


class MessageStore(Protocol):
    """The stored copies of people's messages (and the bot's replies)."""

    async def edit_message(self, *, team_id: str, channel_id: str, ts: str, text: str) -> int:
        """Replace the stored text of a person's message; returns how many rows changed."""
        ...

    async def erase_message(self, *, team_id: str, channel_id: str, ts: str) -> int:
        """Delete the stored copy of a person's message; returns how many rows went."""
        ...

    async def erase_user(self, *, team_id: str | None, user_id: str) -> int:
        """Delete every message a person wrote in the team (any team when None); returns how
        many."""
        ...

    async def purge(self, *, before: datetime) -> int:
        """Delete messages stored before ``before``; returns how many."""
        ...


class VoteStore(Protocol):
    """The votes people gave on answers."""

    async def forget_user(self, *, team_id: str | None, user_id: str) -> int:
        """Delete every vote a person gave (any team when None); returns how many."""
        ...


class Purgeable(Protocol):
    """Records kept for a while, then purged (LLM usage, deliveries, traces)."""

    async def purge(self, *, before: datetime) -> int:
        """Delete records made before ``before``; returns how many."""
        ...


class MissLog(Protocol):
    """The questions the runbooks could not answer."""

    async def purge_misses(self, *, before: datetime) -> int:
        """Delete misses recorded before ``before``; returns how many."""
        ...
