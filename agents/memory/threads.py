"""Thread memory: the facts pinned in a thread and the rolling summary of its older part."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from agents.kernel.models import ConversationKey

__all__ = ["ThreadMemory", "ThreadMemoryStore"]


@dataclass(frozen=True, slots=True)
class ThreadMemory:
    """What a thread keeps beyond its messages.

    Attributes:
        facts: facts pinned in the thread (``memory: pin …``), oldest first; they lead its
            context.
        summary: the stored summary of the thread's older messages.
        covered: how many of the oldest messages the summary covers (it is refreshed once
            that many more have fallen out of the budget).
    """

    facts: tuple[str, ...] = ()
    summary: str = ""
    covered: int = 0


class ThreadMemoryStore(Protocol):
    """Pinned facts and the rolling summary, one record per thread."""

    async def get(self, key: ConversationKey) -> ThreadMemory:
        """The thread's memory (empty when none is stored)."""
        ...

    async def pin(self, key: ConversationKey, fact: str, *, now: datetime) -> ThreadMemory:
        """Add a fact (once); returns the memory as stored afterwards."""
        ...

    async def save_summary(
        self, key: ConversationKey, *, summary: str, covered: int, now: datetime
    ) -> None:
        """Replace the stored summary."""
        ...

    async def purge(self, *, before: datetime) -> int:
        """Delete thread memory not touched since ``before``; returns how many threads."""
        ...
