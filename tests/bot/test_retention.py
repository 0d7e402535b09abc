"""The worker's retention step: the erasure service as the bot wires it from the config file."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from agents.kernel.models import Inbound, Trace
from agents.llm.usage import SpendQuery, UsageRecord
from agents.memory.knowledge import Miss
from bot.config_file import ConfigFileError, parse_config
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


async def test_deliveries_and_traces_are_purged_by_their_tiers(tmp_path: Path) -> None:
    """events: 2 and traces: 30 bound the per-turn records: older finished deliveries and
    older traces go; a delivery still claimed stays, however old."""
    config = parse_config("version: 1\nmemory:\n  retention_days: {events: 2, traces: 30}\n")
    database = await Database.connect(f"sqlite+aiosqlite:///{tmp_path / 'r.db'}")
    try:
        await database.migrate()
        for n, days in enumerate((3, 3, 1)):
            at = NOW - timedelta(days=days)
            event = Inbound("T1", "C1", "U1", "hi", "mention", f"Ev{n}", f"t{n}", at, "1.0")
            await database.events.claim(event)
            if n != 1:
                await database.events.finish(team_id="T1", event_id=f"Ev{n}", status="done", now=at)
        for n, days in enumerate((31, 29)):
            started = NOW - timedelta(days=days)
            await database.traces.save(
                Trace(f"t{n}", "T1", "C1", "U1", "Ev0", "mention", "ops", "keyword", 0.5,
                      "replied", started, 1.0, 1.0, 2.0)
            )  # fmt: skip
        erasure = build_erasure(database, retention=config.retention, clock=_Clock())
        assert await erasure.purge_expired() == 2  # delivery Ev0, trace t0
        assert await database.traces.get("t0") is None and await database.traces.get("t1")
        assert await database.events.claim(event) is False  # Ev2's dedupe record stays
        old = Inbound("T1", "C1", "U1", "hi", "mention", "Ev0", "t0", NOW, "1.0")
        assert await database.events.claim(old) is True  # Ev0's went
    finally:
        await database.close()


def test_traces_are_kept_at_least_the_review_window() -> None:
    """A traces tier shorter than review.window_days is refused where it is written."""
    text = "version: 1\nreview: {window_days: 14}\nmemory:\n  retention_days: {traces: 7}\n"
    with pytest.raises(ConfigFileError) as caught:
        parse_config(text, source="t.yaml")
    (issue,) = caught.value.issues
    assert issue.field_path == "memory.retention_days.traces" and issue.line == 4
    assert "review.window_days (14)" in issue.message
