"""In-memory votes, and stores that only record their purges, for erasure tests."""

from __future__ import annotations

from datetime import datetime


class MemoryVotes:
    """Votes as ``(team, user)`` pairs; ``forget_user`` as the SQL store does it."""

    def __init__(self, *votes: tuple[str, str]) -> None:
        self.rows = list(votes)

    async def forget_user(self, *, team_id: str | None, user_id: str) -> int:
        gone = [v for v in self.rows if v[1] == user_id and team_id in (None, v[0])]
        self.rows = [v for v in self.rows if v not in gone]
        return len(gone)


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
