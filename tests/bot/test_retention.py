"""The worker's retention step: the erasure service as the bot wires it from the config file."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from agents.llm.usage import SpendQuery, UsageRecord
from agents.memory.knowledge import Miss
from bot.config_file import parse_config
from bot.wiring import build_erasure
from storage import Database

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


class _Clock:
    def now(self) -> datetime:
        return NOW

    def monotonic(self) -> float:
        return 0.0


async def test_each_configured_tier_is_purged_and_unset_tiers_are_kept(tmp_path: Path) -> None:
    """usage: 30 and misses: 7 purge what is older; messages, notes and summaries without a
    setting are kept (no retention step at all when nothing is set)."""
    config = parse_config("version: 1\nmemory:\n  retention_days: {usage: 30, misses: 7}\n")
    database = await Database.connect(f"sqlite+aiosqlite:///{tmp_path / 'r.db'}")
    try:
        await database.migrate()
        assert parse_config("version: 1\n").retention.keeps_everything
        for days in (40, 1):
            at = NOW - timedelta(days=days)
            await database.usage.record(
                UsageRecord("t", "T1", "C1", "U1", "deploy", "p", "m", 1, 1, 10, at)
            )
            await database.knowledge.record_miss(Miss("T1", "C1", "U1", f"q{days}", at))
        await database.knowledge.record_miss(Miss("T1", "C1", "U1", "q8", NOW - timedelta(days=8)))
        erasure = build_erasure(database, retention=config.retention, clock=_Clock())
        assert await erasure.purge_expired() == 3  # one usage record, two misses
        assert [m.query for m in await database.knowledge.misses()] == ["q1"]
        assert await database.usage.spent(SpendQuery("T1", NOW - timedelta(days=90))) == 10
    finally:
        await database.close()
