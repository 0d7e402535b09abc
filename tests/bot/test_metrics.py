"""The Prometheus exposition's gauges read at scrape time."""

from __future__ import annotations

import asyncio

from prometheus_client.parser import text_string_to_metric_families

from bot.metrics import Metrics


def _tasks_gauge(exposition: bytes) -> float:
    for family in text_string_to_metric_families(exposition.decode()):
        if family.name == "switchboard_asyncio_tasks":
            return float(family.samples[0].value)
    raise AssertionError("no switchboard_asyncio_tasks in the exposition")


async def test_the_task_gauge_counts_the_loops_tasks_at_each_scrape() -> None:
    """A scrape reports how many asyncio tasks are alive on the loop, and follows them as
    they start and end (a soak reads it to see leaked tasks)."""
    metrics = Metrics()
    before = _tasks_gauge(metrics.exposition())
    release = asyncio.Event()
    waiting = [asyncio.create_task(release.wait()) for _ in range(3)]
    assert _tasks_gauge(metrics.exposition()) == before + 3
    release.set()
    await asyncio.gather(*waiting)
    assert _tasks_gauge(metrics.exposition()) == before


def test_without_a_running_loop_the_task_gauge_is_left_as_it_was() -> None:
    """Scraping outside an event loop (a tool reading the registry) raises nothing."""
    assert _tasks_gauge(Metrics().exposition()) == 0
