"""LLM usage, cost budgets and per-user rate limits: values and the ports that store them.

Budgets and buckets live in the database (not in process memory) so that they hold across
processes and replicas. Money is counted in integer micro-dollars (1 USD = 1,000,000) so that
sums never drift.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

__all__ = ["RateLimiter", "UsageRecord", "UsageStore", "micros"]


def micros(usd: float) -> int:
    """US dollars as whole micro-dollars, rounded to the nearest."""
    return round(usd * 1_000_000)


@dataclass(frozen=True, slots=True)
class UsageRecord:
    """The tokens and cost of one model call within a turn."""

    trace_id: str
    team_id: str
    channel_id: str
    user_id: str
    agent: str
    provider: str
    model: str
    input_tokens: int
    output_tokens: int
    cost_micros: int
    at: datetime


class UsageStore(Protocol):
    """Append-only usage records and the sums budgets are checked against."""

    async def record(self, usage: UsageRecord) -> None:
        """Store one call's usage."""
        ...

    async def spent(
        self,
        *,
        team_id: str,
        since: datetime,
        agent: str | None = None,
        user_id: str | None = None,
        channel_id: str | None = None,
    ) -> int:
        """Micro-dollars spent in the team since ``since``, narrowed by the filters given."""
        ...


class RateLimiter(Protocol):
    """Token buckets shared by every process through the database."""

    async def take(
        self, key: str, *, capacity: float, refill_per_second: float, now: datetime
    ) -> bool:
        """Take one token from the bucket ``key`` (created full on first use).

        The bucket refills continuously at ``refill_per_second`` up to ``capacity``; the
        read-refill-take is one atomic step, so concurrent callers never overdraw it.

        Returns:
            True if a token was taken, False if the bucket is empty.
        """
        ...
