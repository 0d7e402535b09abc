"""LLM usage: what each model call consumed and cost, and the port that stores it.

Usage lives in the database (not in process memory) so that budgets hold across processes
and replicas. Money is counted in integer micro-dollars (1 USD = 1,000,000) so that
sums never drift.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

__all__ = ["SpendQuery", "UsageRecord", "UsageStore", "micros"]


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


@dataclass(frozen=True, slots=True)
class SpendQuery:
    """Whose spend, since when: a team's, narrowed to an agent, a person or a channel."""

    team_id: str
    since: datetime
    agent: str | None = None
    user_id: str | None = None
    channel_id: str | None = None


class UsageStore(Protocol):
    """Append-only usage records and the sums budgets are checked against."""

    async def record(self, usage: UsageRecord) -> None:
        """Store one call's usage."""
        ...

    async def spent(self, query: SpendQuery) -> int:
        """Micro-dollars spent as ``query`` says (a team since a time, maybe narrowed)."""
        ...
