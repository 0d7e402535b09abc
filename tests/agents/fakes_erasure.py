"""A transcript that records what it was asked to erase, and stores that only record their
purges, for erasure tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from agents.memory.ports import Erased


@dataclass
class FakeTranscript:
    """Answers every erasure with ``erased`` (and ``purged`` for the messages tier), and
    records the calls: ``("message", team, channel, ts, text)``, ``("user", team, user)``,
    ``("purge", before)`` and ``("scrub", deep)``."""

    erased: Erased = field(default_factory=lambda: Erased(messages=1, replies=1))
    purged: int = 1
    calls: list[tuple[object, ...]] = field(default_factory=list)

    async def erase_message(
        self, *, team_id: str, channel_id: str, ts: str, text: str | None, now: datetime
    ) -> Erased:
        self.calls.append(("message", team_id, channel_id, ts, text))
        return self.erased

    async def erase_user(self, *, team_id: str | None, user_id: str, now: datetime) -> Erased:
        self.calls.append(("user", team_id, user_id))
        return self.erased

    async def purge(self, *, before: datetime) -> int:
        self.calls.append(("purge", before))
        return self.purged

    async def scrub(self, *, deep: bool) -> None:
        self.calls.append(("scrub", deep))


class PurgeLog:
    """A store that records the cut-off of every purge and deletes ``rows`` rows each time."""

    def __init__(self, rows: int = 1) -> None:
        self.cutoffs: list[datetime] = []
        self._rows = rows

    async def purge(self, *, before: datetime) -> int:
        self.cutoffs.append(before)
        return self._rows

    async def purge_misses(self, *, before: datetime) -> int:
        return await self.purge(before=before)
