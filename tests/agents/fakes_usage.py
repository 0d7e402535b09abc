"""In-memory ``UsageStore`` and ``RateLimiter`` with the SQL stores' semantics."""

from __future__ import annotations

from datetime import datetime

from agents.llm.usage import SpendQuery, UsageRecord


class MemoryUsage:
    """``UsageStore``: records in a list; ``spent`` sums the matching ones."""

    def __init__(self) -> None:
        self.records: list[UsageRecord] = []

    async def record(self, usage: UsageRecord) -> None:
        self.records.append(usage)

    async def spent(self, query: SpendQuery) -> int:
        return sum(
            r.cost_micros
            for r in self.records
            if r.team_id == query.team_id
            and r.at >= query.since
            and query.agent in (None, r.agent)
            and query.user_id in (None, r.user_id)
            and query.channel_id in (None, r.channel_id)
        )


class MemoryRateLimiter:
    """``RateLimiter``: token buckets in a dict, refilled continuously, created full."""

    def __init__(self) -> None:
        self.buckets: dict[str, tuple[float, datetime]] = {}

    async def take(
        self, key: str, *, capacity: float, refill_per_second: float, now: datetime
    ) -> bool:
        tokens, updated = self.buckets.get(key, (float(capacity), now))
        elapsed = max(0.0, (now - updated).total_seconds())
        tokens = min(float(capacity), tokens + elapsed * refill_per_second)
        if tokens >= 1:
            self.buckets[key] = (tokens - 1, now)
            return True
        self.buckets[key] = (tokens, now)
        return False
