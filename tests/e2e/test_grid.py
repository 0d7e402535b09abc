"""Enterprise Grid, org-wide: the app installed once for an organization serves each of its
workspaces with the organization's token, and keeps doing so for work that outlives the
process (a request approved before a restart runs after it and tells its thread with that
token); removing the org-wide install stops the work of every workspace it served, after a
restart too. Real app, real database, the sandbox as Slack."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Literal

import pytest
import sqlalchemy as sa

from handlers.approval_blocks import APPROVE_ACTION
from sandbox import ApiCall, SlackSandbox
from sandbox.oauth import InstallPlan
from tests.e2e.approvals_config import load
from tests.e2e.conftest import TEST_WORKER, Bot
from tests.e2e.postgres import fresh_postgres
from tests.e2e.workspaces import install, multi_bot, say, settled

SECRET = "s3cr3t-" + secrets.token_hex(12)
ORG = "E0GRID"
GRID_A = "T0GRIDA"
GRID_B = "T0GRIDB"
ORG_WIDE = InstallPlan(None, enterprise_id=ORG, enterprise_name="Grid", org_wide=True)
NO_JOBS = replace(TEST_WORKER, concurrency=0)
"""A replica that serves Slack and runs no job: what it approves waits in the queue."""


@pytest.fixture(params=["sqlite", "postgresql"])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A SQLite file, or a fresh migrated PostgreSQL database (where the process after the
    restart is as well another replica; skipped without ``SWITCHBOARD_TEST_POSTGRES_URL``)."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'switchboard.db'}"
        return
    async with fresh_postgres("sb_grid") as url:
        yield url


@pytest.fixture(autouse=True)
def _deploy_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEPLOY_API_TOKEN", SECRET)


async def _in_grid(sandbox: SlackSandbox, team: str, text: str, **more: str) -> ApiCall:
    return await say(sandbox, team, text, enterprise_id=ORG, org_wide=True, **more)


async def _approve(sandbox: SlackSandbox, team: str, card: ApiCall) -> None:
    with sandbox.as_team(team, enterprise_id=ORG, org_wide=True):
        await sandbox.people.click(card.response["ts"], APPROVE_ACTION, user="U0BOB")


def _succeeded(call: ApiCall) -> bool:
    return call.args.get("metadata", {}).get("event_payload", {}).get("state") == "succeeded"


async def test_an_action_approved_before_a_restart_posts_with_the_org_token(
    sandbox: SlackSandbox, database_url: str
) -> None:
    """Org-wide install through OAuth; Alice in a workspace of the organization asks for a
    deploy, Bob approves; the process stops before any worker ran it. A new process on the
    same database, which no request of that workspace has reached, runs the job and tells
    the thread with the organization's token."""
    config = load(sandbox.base_url)
    async with multi_bot(sandbox, database_url, config=config, worker=NO_JOBS) as bot:
        org_token = await install(sandbox, bot, ORG_WIDE)
        card = await _in_grid(sandbox, GRID_A, "deploy api to prod")
        assert card.token == org_token
        await _approve(sandbox, GRID_A, card)
        await settled(bot, [(GRID_A, "approved", None)])
    assert sandbox.deploy_api.applied_count() == 0
    async with multi_bot(sandbox, database_url, config=config):
        told = await sandbox.calls.wait_for("chat.postMessage", where=_succeeded, timeout=10)
        assert told.token == org_token and told.args["thread_ts"] == card.args["thread_ts"]
    assert sandbox.deploy_api.applied_count() == 1


async def _jobs_done(bot: Bot) -> list[str]:
    """Await every job reaching ``done`` (a bounded poll); their states."""
    states: list[str] = []
    for _ in range(250):
        async with bot.runtime.database.engine.connect() as conn:
            states = [str(r[0]) for r in await conn.execute(sa.text("SELECT state FROM jobs"))]
        if states and set(states) == {"done"}:
            break
        await asyncio.sleep(0.02)
    return states


@pytest.mark.parametrize("removal", ["app_uninstalled", "tokens_revoked"])
async def test_removing_the_org_wide_install_stops_every_workspaces_work(
    sandbox: SlackSandbox,
    database_url: str,
    removal: Literal["app_uninstalled", "tokens_revoked"],
) -> None:
    """Two workspaces of the organization each have a request (A's approved, B's pending)
    when the process restarts; the organization then removes the app (uninstall, or an
    admin revokes the org-wide bot token), the event coming through B: both requests end
    cancelled with that reason, the installation is gone, and A's queued job never runs."""
    config = load(sandbox.base_url)
    async with multi_bot(sandbox, database_url, config=config, worker=NO_JOBS) as bot:
        org_token = await install(sandbox, bot, ORG_WIDE)
        card = await _in_grid(sandbox, GRID_A, "deploy api to prod")
        await _in_grid(sandbox, GRID_B, "deploy web to staging")
        await _approve(sandbox, GRID_A, card)
        await settled(bot, [(GRID_A, "approved", None), (GRID_B, "pending", None)])
    async with multi_bot(sandbox, database_url, config=config, worker=NO_JOBS) as bot:
        if removal == "app_uninstalled":
            await sandbox.remove_app(GRID_B, enterprise_id=ORG, org_wide=True)
        else:
            await sandbox.revoke_bot_token(org_token, team_id=GRID_B)
        await settled(bot, [(GRID_A, "cancelled", removal), (GRID_B, "cancelled", removal)])
        async with bot.runtime.database.engine.connect() as conn:
            rows = (await conn.execute(sa.text("SELECT count(*) FROM slack_installations"))).one()
        assert rows[0] == 0
    posted = sandbox.calls.count("chat.postMessage")
    async with multi_bot(sandbox, database_url, config=config) as bot:
        assert await _jobs_done(bot) == ["done"]
        await bot.idle()
    assert sandbox.deploy_api.applied_count() == 0
    assert sandbox.calls.count("chat.postMessage") == posted
