"""LLM usage records, the sums that budgets are checked against, and shared rate buckets.

A bucket take is one atomic read-refill-take: on PostgreSQL the row is locked ``FOR UPDATE``
inside one transaction (created first with ``ON CONFLICT DO NOTHING``), so concurrent takes
from any number of processes serialise on the row; on SQLite the engine's single writer
already runs one write transaction at a time.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import Connection

from agents.llm.usage import SpendQuery, UsageRecord
from storage._records import row_values
from storage._seam import SqlStore, count_changed, fetch_scalar, translated
from storage._seam import insert as upsert
from storage.engine import Dialect
from storage.tables import llm_usage, rate_buckets

__all__ = ["SqlRateLimiter", "SqlUsageStore"]


class SqlUsageStore(SqlStore):
    """``UsageStore`` on SQL: one ``llm_usage`` row per model call."""

    async def purge(self, *, before: datetime) -> int:
        """Delete usage records older than ``before`` (retention)."""
        statement = delete(llm_usage).where(llm_usage.c.at < before)
        return await count_changed(self._db.write, statement, action="purge LLM usage")

    async def record(self, usage: UsageRecord) -> None:
        """Store one call's usage."""
        with translated("record LLM usage"):
            await self._db.write.run(_insert_usage, row_values(usage))

    async def spent(self, query: SpendQuery) -> int:
        """Micro-dollars spent as ``query`` says (a team since a time, maybe narrowed)."""
        statement = select(func.coalesce(func.sum(llm_usage.c.cost_micros), 0)).where(
            llm_usage.c.team_id == query.team_id, llm_usage.c.at >= query.since
        )
        for column, wanted in (
            (llm_usage.c.agent, query.agent),
            (llm_usage.c.user_id, query.user_id),
            (llm_usage.c.channel_id, query.channel_id),
        ):
            if wanted is not None:
                statement = statement.where(column == wanted)
        return int(await fetch_scalar(self._db.read, statement, action="sum LLM spend"))


def _insert_usage(connection: Connection, values: dict[str, Any]) -> None:
    connection.execute(insert(llm_usage), values)


class SqlRateLimiter(SqlStore):
    """``RateLimiter`` on SQL: one ``rate_buckets`` row per key."""

    async def take(
        self, key: str, *, capacity: float, refill_per_second: float, now: datetime
    ) -> bool:
        """Take one token from the bucket ``key`` (created full), atomically."""
        with translated("take a rate-limit token"):
            return await self._db.transaction.run(
                _take,
                self._db.dialect,
                key=key,
                capacity=float(capacity),
                refill=refill_per_second,
                now=now,
            )


def _take(
    connection: Connection,
    dialect: Dialect,
    *,
    key: str,
    capacity: float,
    refill: float,
    now: datetime,
) -> bool:
    create = upsert(dialect, rate_buckets).values(key=key, tokens=capacity, updated_at=now)
    connection.execute(create.on_conflict_do_nothing(index_elements=[rate_buckets.c.key]))
    read = select(rate_buckets.c.tokens, rate_buckets.c.updated_at).where(rate_buckets.c.key == key)
    if dialect == "postgresql":
        read = read.with_for_update()
    row = connection.execute(read).one()
    elapsed = max(0.0, (now - row.updated_at).total_seconds())
    tokens = min(capacity, row.tokens + elapsed * refill)
    taken = bool(tokens >= 1.0)
    connection.execute(
        update(rate_buckets)
        .where(rate_buckets.c.key == key)
        .values(tokens=tokens - 1.0 if taken else tokens, updated_at=max(now, row.updated_at))
    )
    return taken
