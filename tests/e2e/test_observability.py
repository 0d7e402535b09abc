"""Metrics, readiness and the turn's record, through the real app, sandbox and database."""

from __future__ import annotations

import io
import os
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_slack_response import AsyncSlackResponse
from sqlalchemy import text
from structlog.testing import capture_logs

from bot.cli.review import review_show_command
from bot.config_file import parse_config
from bot.health import Readiness
from handlers.approval_blocks import APPROVE_ACTION
from sandbox import ApiCall, Fault, SlackSandbox
from sandbox.llm_server import ScriptedLLMServer
from sandbox.llm_steps import tool_call
from storage import Database
from storage.migrate import head_revision, upgrade
from tests.agents.turns.steps.helpers import inbound
from tests.e2e.approvals_config import approvals_config
from tests.e2e.conftest import Bot, MovableClock, running_bot, settings_for
from tests.e2e.llm_config import LLM_KEY, llm_config

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


@pytest.fixture
async def ops_bot(
    sandbox: SlackSandbox, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Bot]:
    monkeypatch.setenv("DEPLOY_API_TOKEN", "t0ken")
    sandbox.workspace.directory.add_usergroup("S0SRE", "sre", ["U0CAROL"])
    config = parse_config(approvals_config(sandbox.base_url))
    async with running_bot(sandbox, database_url, config=config) as bot:
        yield bot


async def _scrape(bot: Bot) -> tuple[str, Samples]:
    async with aiohttp.ClientSession() as http, http.get(f"{bot.url}/metrics") as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain")
        text = await response.text()
    samples: Samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = float(sample.value)
    return text, samples


def _value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


async def _answer(sandbox: SlackSandbox, text: str, *, user: str = "U0ALICE") -> ApiCall:
    """A person asks at top level; returns the bot's answer in the thread it starts (not
    another post that happens to come first, such as a note about an earlier request)."""
    sent = await sandbox.people.say(f"<@U0BOT> {text}", user=user)
    return await sandbox.calls.wait_for(
        "chat.postMessage", where=lambda c: c.args.get("thread_ts") == sent.ts, timeout=10
    )


async def test_metrics_move_after_a_scripted_conversation(
    sandbox: SlackSandbox, ops_bot: Bot
) -> None:
    """After help + 👍, an approved deploy, a duplicate delivery, a forged request and a 429
    from Slack, /metrics shows each of them, with no user, channel or thread label."""
    help_answer = await _answer(sandbox, "help")
    await sandbox.people.give_feedback(help_answer.response["ts"], positive=True, user="U0BOB")
    thanks = await sandbox.calls.wait_for("chat.postEphemeral")
    assert "👍" in thanks.args["text"], thanks.args["text"]
    card = await _answer(sandbox, "deploy api to prod")
    await sandbox.people.click(card.response["ts"], APPROVE_ACTION, user="U0BOB")
    await sandbox.calls.wait_for(
        "chat.update", where=lambda c: "Succeeded" in str(c.args["blocks"])
    )
    sent = await sandbox.people.say("<@U0BOT> help")
    await sandbox.calls.wait_for(
        "chat.postMessage", where=lambda c: c.args.get("thread_ts") == sent.ts
    )
    event = {
        "type": "app_mention",
        "user": "U0ALICE",
        "text": "<@U0BOT> help",
        "ts": sent.ts,
        "channel": "C0GENERAL",
    }
    await sandbox.driver.send_event(event, event_id="Ev0DUP")
    await sandbox.driver.send_event(event, event_id="Ev0DUP")
    forged = await sandbox.driver.send_event(event, signature="forged")
    assert forged.status == 401
    sandbox.faults.inject("chat.postMessage", Fault.rate_limited(retry_after=1))
    await _answer(sandbox, "help")
    await ops_bot.idle()

    text, samples = await _scrape(ops_bot)
    assert (
        _value(samples, "switchboard_turns_total", agent="help", planner="rules", outcome="replied")
        >= 3
    )
    assert _value(samples, "switchboard_route_decisions_total", method="action") == 1
    assert _value(samples, "switchboard_turn_seconds_count", agent="deploy", planner="rules") == 1
    assert _value(samples, "switchboard_approvals_total", action="deploy", state="approved") == 1
    assert _value(samples, "switchboard_approvals_total", action="deploy", state="succeeded") == 1
    assert _value(samples, "switchboard_time_to_approval_seconds_count", action="deploy") == 1
    assert (
        _value(samples, "switchboard_tool_executions_total", action="deploy", outcome="succeeded")
        == 1
    )
    assert _value(samples, "switchboard_tool_execution_seconds_count", action="deploy") == 1
    assert _value(samples, "switchboard_feedback_total", agent="help", vote="up") == 1
    assert (
        _value(samples, "switchboard_slack_deliveries_total", kind="event", outcome="duplicate")
        == 1
    )
    assert (
        _value(samples, "switchboard_slack_deliveries_total", kind="action", outcome="passed") == 2
    )
    assert (
        _value(samples, "switchboard_slack_requests_rejected_total", reason="invalid_signature")
        == 1
    )
    assert _value(samples, "switchboard_slack_ack_seconds_count") >= 6
    assert (
        _value(
            samples, "switchboard_slack_api_calls_total", method="chat.postMessage", status="200"
        )
        >= 4
    )
    assert (
        _value(samples, "switchboard_slack_api_rate_limited_total", method="chat.postMessage") == 1
    )
    assert _value(samples, "switchboard_retries_total", kind="slack") == 1
    targets = [
        labels
        for (name, labels), _ in samples.items()
        if name == "switchboard_circuit_breaker_state"
    ]
    assert targets and all(
        value == 0
        for (name, _), value in samples.items()
        if name == "switchboard_circuit_breaker_state"
    )
    for label in ("user", "user_id", "channel", "channel_id", "thread", "thread_ts", "trace_id"):
        assert f'{label}="' not in text


async def test_llm_tokens_and_cost_by_provider_and_model(
    sandbox: SlackSandbox, database_url: str
) -> None:
    """A turn planned by a model counts its tokens and cost by provider and model."""
    async with ScriptedLLMServer(api_key=LLM_KEY) as llm:
        llm.script(tool_call("deploy", {"service": "api", "env": "prod"}, usage=(1000, 200)))
        config = llm_config(sandbox.base_url, primary_url=llm.openai_base_url)
        environ = {"PRIMARY_LLM_KEY": LLM_KEY, "DEPLOY_API_TOKEN": "t0ken"}
        async with running_bot(sandbox, database_url, config=config, environ=environ) as bot:
            await _answer(sandbox, "deploy: please ship the api to production")
            await bot.idle()
            _, samples = await _scrape(bot)
    labels = {"provider": "primary", "model": "test-model"}
    assert _value(samples, "switchboard_llm_tokens_total", direction="input", **labels) == 1000
    assert _value(samples, "switchboard_llm_tokens_total", direction="output", **labels) == 200
    assert _value(samples, "switchboard_llm_cost_usd_total", **labels) == pytest.approx(0.0014)
    calls = {"provider": "primary", "model": "test-model", "outcome": "ok"}
    assert _value(samples, "switchboard_llm_call_seconds_count", **calls) == 1
    assert (
        _value(samples, "switchboard_turns_total", agent="deploy", planner="llm", outcome="replied")
        == 1
    )


async def test_readyz_checks_database_migrations_and_slack(
    sandbox: SlackSandbox, ops_bot: Bot, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """/readyz answers 200 when the database answers at the newest migration and Slack
    accepts the token; 503 naming the database once it is gone."""
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{ops_bot.url}/readyz") as response:
            assert response.status == 200
            assert await response.json() == {
                "ok": True,
                "database": "ok",
                "migrations": "ok",
                "slack": "ok",
            }
        # Nothing else may touch the database from here on: its worker stops first.
        await ops_bot.runtime.worker.stop(timeout=5)
        await ops_bot.runtime.database.engine.dispose()
        database_file = ops_bot.runtime.database.engine.url.database
        assert database_file
        _remove_database(database_file, tmp_path_factory.mktemp("gone"))
        async with http.get(f"{ops_bot.url}/readyz") as response:
            body = await response.json()
            assert response.status == 503
            assert body["ok"] is False and body["database"].startswith("unreachable")
        async with http.get(f"{ops_bot.url}/healthz") as response:
            assert response.status == 503


def _remove_database(database_file: str, elsewhere: Path) -> None:
    """Move the SQLite file away and delete its folder: no connection can reach it now."""
    os.rename(database_file, elsewhere / "switchboard.db")
    for leftover in ("-wal", "-shm", ".lock"):
        if os.path.exists(database_file + leftover):
            os.remove(database_file + leftover)
    os.rmdir(os.path.dirname(database_file))


async def test_readiness_names_a_missing_migration_and_a_refused_token(tmp_path: Path) -> None:
    """A schema behind the newest migration is named with the fix; a refused Slack token is
    reported, and Slack is asked again only after the failure's short cache expires."""
    url = f"sqlite+aiosqlite:///{tmp_path}/old.db"
    database = await Database.connect(url)
    calls = 0
    now = [0.0]

    async def refused() -> object:
        nonlocal calls
        calls += 1
        response = AsyncSlackResponse(
            client=None,  # type: ignore[arg-type]
            http_verb="POST",
            api_url="auth.test",
            req_args={},
            data={"ok": False, "error": "invalid_auth"},
            headers={},
            status_code=200,
        )
        raise SlackApiError("refused", response)

    try:
        await upgrade(database.engine, revision="0006")
        readiness = Readiness(database, slack_auth=refused, clock=lambda: now[0])
        report = await readiness.check()
        assert not report.ok
        newest = head_revision()
        assert report.migrations == f"at 0006, newest is {newest}: run `switchboard db upgrade`"
        assert report.slack == "refused: invalid_auth"
        await readiness.check()
        assert calls == 1
        now[0] += 11
        await readiness.check()
        assert calls == 2
    finally:
        await database.close()


async def test_trace_command_prints_the_whole_turn(
    sandbox: SlackSandbox, ops_bot: Bot, database_url: str
) -> None:
    """`switchboard trace TRACE` prints the route, plan, timings, and the approval's audit
    trail from request to result."""
    card = await _answer(sandbox, "deploy api to prod")
    await sandbox.people.click(card.response["ts"], APPROVE_ACTION, user="U0BOB")
    await sandbox.calls.wait_for(
        "chat.update", where=lambda c: "Succeeded" in str(c.args["blocks"])
    )
    await ops_bot.idle()
    trace_id = card.args["metadata"]["event_payload"]["trace_id"]
    out = io.StringIO()
    assert await review_show_command(settings_for(sandbox, database_url), trace_id, out=out) == 0
    text = out.getvalue()
    assert f"trace      {trace_id}" in text and "route      deploy (action" in text
    assert "action     deploy service=api env=prod (needed approval)" in text
    kinds = [line.split()[3] for line in text.splitlines() if line.startswith("audit")]
    assert kinds == ["requested", "approved", "started", "succeeded"]
    assert "latency    route" in text


async def test_a_burst_of_expired_requests_alerts_once(
    sandbox: SlackSandbox, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Three deploy requests expire together: the alerts channel gets one alert, not three,
    while the metrics count all three expiries; the alert, like every post, unfurls
    nothing."""
    monkeypatch.setenv("DEPLOY_API_TOKEN", "t0ken")
    sandbox.workspace.directory.add_channel("C0ALERTS", "alerts")
    config = parse_config(
        approvals_config(sandbox.base_url) + "alerts: {channel: C0ALERTS, repeat_after: 1h}\n"
    )
    clock = MovableClock()
    async with running_bot(sandbox, database_url, config=config, clock=clock) as bot:
        for service in ("api", "web", "api"):
            await _answer(sandbox, f"deploy {service} to prod")
        clock.offset = timedelta(minutes=31)
        alert = await sandbox.calls.wait_for(
            "chat.postMessage", where=lambda c: c.args["channel"] == "C0ALERTS"
        )
        await sandbox.calls.wait_for(
            "chat.update", where=lambda c: "Expired" in str(c.args["blocks"]), count=3
        )
        await bot.idle()
        await bot.runtime.alerter.drain()
        _, samples = await _scrape(bot)
    assert "expired with nobody deciding" in alert.args["text"]
    assert (alert.args["unfurl_links"], alert.args["unfurl_media"]) == (False, False)
    assert (
        len(
            [
                c
                for c in sandbox.calls.for_method("chat.postMessage")
                if c.args["channel"] == "C0ALERTS"
            ]
        )
        == 1
    )
    assert _value(samples, "switchboard_approvals_total", action="deploy", state="expired") == 3


async def test_backlog_gauges_count_waiting_approvals_and_held_deliveries(
    sandbox: SlackSandbox, ops_bot: Bot
) -> None:
    """A deploy request is one approval waiting until approved; a delivery claimed 90 s ago
    and leased by another replica is one event of backlog, aged (read from the database)."""
    sent = await sandbox.people.say("<@U0BOT> deploy api to prod")
    card = await sandbox.calls.wait_for(
        "chat.postMessage", where=lambda c: c.args.get("thread_ts") == sent.ts, timeout=10
    )
    await ops_bot.idle()
    _, samples = await _scrape(ops_bot)
    assert _value(samples, "switchboard_approvals_pending") == 1
    await sandbox.people.click(card.response["ts"], APPROVE_ACTION, user="U0BOB")
    await sandbox.calls.wait_for(
        "chat.update", where=lambda c: "Succeeded" in str(c.args["blocks"])
    )
    _, samples = await _scrape(ops_bot)
    assert _value(samples, "switchboard_approvals_pending") == 0
    assert _value(samples, "switchboard_events_backlog") == 0
    assert _value(samples, "switchboard_events_backlog_oldest_seconds") == 0
    now = ops_bot.runtime.clock.now()
    held = replace(inbound("help"), event_id="Ev0HELD", received_at=now - timedelta(seconds=90))
    assert await ops_bot.runtime.database.events.claim(
        held, owner="another-replica", lease_until=now + timedelta(hours=1)
    )
    _, samples = await _scrape(ops_bot)
    assert _value(samples, "switchboard_events_backlog") == 1
    assert 90 <= _value(samples, "switchboard_events_backlog_oldest_seconds") < 600


async def test_an_unreadable_backlog_keeps_the_scrape_and_logs(ops_bot: Bot) -> None:
    """When the backlog cannot be read, /metrics still answers (the gauges as they were) and
    says why in one log line."""
    engine = ops_bot.runtime.database.engine
    async with engine.begin() as connection:
        await connection.execute(text("ALTER TABLE approvals RENAME TO approvals_away"))
    try:
        with capture_logs() as logs:
            _, samples = await _scrape(ops_bot)
    finally:
        async with engine.begin() as connection:
            await connection.execute(text("ALTER TABLE approvals_away RENAME TO approvals"))
    assert _value(samples, "switchboard_approvals_pending") == 0
    assert "switchboard_approvals_pending" in str(samples)
    assert [e["event"] for e in logs if e["log_level"] == "warning"] == [
        "metrics_backlog_unreadable"
    ]
