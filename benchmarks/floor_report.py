"""Shared by the storage benchmarks: quiet logging, a fresh migrated SQLite file, and the
p50/p99 table of Switchboard beside its floor with the ratio against a goal."""

from __future__ import annotations

import logging
import statistics
from pathlib import Path

import structlog

from storage import Database

__all__ = ["migrated_sqlite", "quiet", "report"]


def quiet() -> None:
    """No log output: it would be measured too."""
    logging.disable(logging.CRITICAL)
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.CRITICAL))


async def migrated_sqlite(path: Path) -> None:
    """Create the schema at ``path``."""
    database = await Database.connect(f"sqlite+aiosqlite:///{path}")
    await database.migrate()
    await database.close()


def _pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def report(ours: list[float], floor: list[float], *, goal: float, heading: str) -> None:
    """Print p50/p99/mean per reader and the p50/p99 ratios, with the goal's verdict."""
    print(heading)
    print(f"{'reader':<12} {'p50 ms':>8} {'p99 ms':>8} {'mean ms':>8}")
    for name, samples in (("switchboard", ours), ("floor", floor)):
        mean = statistics.fmean(samples) * 1000
        print(f"{name:<12} {_pct(samples, 0.5):8.3f} {_pct(samples, 0.99):8.3f} {mean:8.3f}")
    p50 = _pct(ours, 0.5) / _pct(floor, 0.5)
    p99 = _pct(ours, 0.99) / _pct(floor, 0.99)
    verdict = "met" if p50 <= goal else "NOT met"
    print(f"ratio vs floor: p50 {p50:.2f}x  p99 {p99:.2f}x   goal p50 <= {goal}x: {verdict}")
