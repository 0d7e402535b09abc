"""The Prometheus exposition's gauges read at scrape time."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime

import aiohttp
from aiohttp import web
from prometheus_client.parser import text_string_to_metric_families

from agents.kernel.models import Trace
from agents.turns.grounding import UNGROUNDED_CLAIM
from bot.metrics import Metrics

T0 = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


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


def _sample(exposition: bytes, name: str, labels: dict[str, str]) -> float:
    for family in text_string_to_metric_families(exposition.decode()):
        for sample in family.samples:
            if sample.name == name and sample.labels == labels:
                return float(sample.value)
    return 0.0


def test_a_marked_claim_is_counted_apart_from_fallbacks() -> None:
    """A turn whose model's claim was marked counts as an ungrounded claim of its agent,
    not as a planner fallback; a real fallback still counts as one."""
    metrics = Metrics()
    trace = Trace(
        "t", "T1", "C1", "U1", "Ev", "mention", "deploy", "keyword", 0.5, "replied", T0, 0, 0, 0
    )
    metrics.turn(replace(trace, planner="llm", degraded=UNGROUNDED_CLAIM))
    metrics.turn(replace(trace, planner="rules", degraded="provider_down"))
    exposition = metrics.exposition()
    assert _sample(exposition, "switchboard_ungrounded_claims_total", {"agent": "deploy"}) == 1
    fallbacks = "switchboard_planner_fallbacks_total"
    assert _sample(exposition, fallbacks, {"reason": UNGROUNDED_CLAIM}) == 0
    assert _sample(exposition, fallbacks, {"reason": "provider_down"}) == 1


async def test_slack_requests_are_counted_by_method_and_status() -> None:
    """Every HTTP request to the Slack API URL is counted by method and status once
    answered (a 429 also as rate limited and a retry); requests elsewhere are not."""

    async def answer(request: web.Request) -> web.Response:
        if request.match_info["method"] == "chat.postMessage":
            return web.json_response({"ok": True})
        return web.json_response({"ok": False}, status=429, headers={"Retry-After": "1"})

    app = web.Application()
    app.router.add_post("/api/{method}", answer)
    app.router.add_post("/elsewhere", answer)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    metrics = Metrics()
    middleware = metrics.slack_middleware(f"http://127.0.0.1:{port}/api/")
    try:
        async with aiohttp.ClientSession(middlewares=[middleware]) as session:
            for path in ("api/chat.postMessage", "api/chat.postMessage", "api/reactions.add"):
                async with session.post(f"http://127.0.0.1:{port}/{path}") as response:
                    await response.read()
            async with session.post(f"http://127.0.0.1:{port}/elsewhere") as response:
                await response.read()
    finally:
        await runner.cleanup()
    exposition = metrics.exposition()
    calls = "switchboard_slack_api_calls_total"
    assert _sample(exposition, calls, {"method": "chat.postMessage", "status": "200"}) == 2
    assert _sample(exposition, calls, {"method": "reactions.add", "status": "429"}) == 1
    limited = "switchboard_slack_api_rate_limited_total"
    assert _sample(exposition, limited, {"method": "reactions.add"}) == 1
    assert _sample(exposition, calls, {"method": "elsewhere", "status": "200"}) == 0
