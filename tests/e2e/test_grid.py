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
from slack_sdk.errors import SlackApiError
from structlog.testing import capture_logs

from agents.kernel.tenancy import acting_for
from handlers.approval_blocks import APPROVE_ACTION
from sandbox import ApiCall, SlackSandbox
from sandbox.oauth import InstallPlan
from tests.e2e.approvals_config import load
from tests.e2e.conftest import TEST_WORKER, Bot
from tests.e2e.postgres import fresh_postgres
from tests.e2e.workspaces import install, multi_bot, reaches, say, settled

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


GRID_C = "T0GRIDC"


async def _organization_rows(bot: Bot) -> list[tuple[str, str]]:
    async with bot.runtime.database.engine.connect() as conn:
        rows = await conn.execute(
            sa.text("SELECT team_id, enterprise_id FROM slack_org_workspaces ORDER BY team_id")
        )
        return [(str(r[0]), str(r[1])) for r in rows]


async def _recorded(bot: Bot, expected: list[tuple[str, str]]) -> None:
    """Await the workspace -> organization records reaching ``expected`` (the listener
    runs after Slack's ack)."""
    await reaches(lambda: _organization_rows(bot), expected)


async def _post_as(bot: Bot, team: str) -> None:
    """Background work for ``team`` alone (as the worker's is) posts through the bot's
    Web API client."""
    with acting_for(team):
        await bot.runtime.app.client.chat_postMessage(channel="C0GENERAL", text="hello")


async def test_a_workspace_granted_to_the_org_install_is_served_before_its_first_request(
    sandbox: SlackSandbox, database_url: str
) -> None:
    """An admin adds workspace C to the org-wide install (``team_access_granted``, the
    envelope naming only the organization): C is recorded as the organization's, and a new
    process that no request of C has reached posts for C with the organization's token. A
    forged grant is refused and records nothing."""
    async with multi_bot(sandbox, database_url) as bot:
        org_token = await install(sandbox, bot, ORG_WIDE)
        with pytest.raises(SlackApiError, match="no token to act for this workspace"):
            await _post_as(bot, GRID_C)
        forged = await sandbox.team_access(
            "team_access_granted", ["T0FORGED"], enterprise_id=ORG, signature="forged"
        )
        assert forged.status == 401
        granted = await sandbox.team_access("team_access_granted", [GRID_C], enterprise_id=ORG)
        assert granted.status == 200
        await _recorded(bot, [(GRID_C, ORG)])
    async with multi_bot(sandbox, database_url) as bot:
        await _post_as(bot, GRID_C)
        assert sandbox.calls.for_method("chat.postMessage")[-1].token == org_token


async def test_revoking_a_workspaces_access_stops_its_work_and_no_other(
    sandbox: SlackSandbox, database_url: str
) -> None:
    """A's request is approved (its job queued), B's and C's pending; C also has an install
    of its own. The organization revokes the org-wide install's access to A and C (twice:
    Slack may deliver again): A's request ends cancelled, audited with the reason, its job
    never runs and A finds no token; C (its own install) and B keep working: B's request,
    approved in a new process, runs and tells its thread with the organization's token."""
    config = load(sandbox.base_url)
    async with multi_bot(sandbox, database_url, config=config, worker=NO_JOBS) as bot:
        org_token = await install(sandbox, bot, ORG_WIDE)
        own = InstallPlan(GRID_C, "Charlie", enterprise_id=ORG, enterprise_name="Grid")
        await install(sandbox, bot, own)
        card = await _in_grid(sandbox, GRID_A, "deploy api to prod")
        b_card = await _in_grid(sandbox, GRID_B, "deploy web to staging")
        await say(sandbox, GRID_C, "deploy api to staging", enterprise_id=ORG)
        await _approve(sandbox, GRID_A, card)
        pending = [(GRID_B, "pending", None), (GRID_C, "pending", None)]
        await settled(bot, [(GRID_A, "approved", None), *pending])
        revoked = await sandbox.team_access(
            "team_access_revoked", [GRID_A, GRID_C], enterprise_id=ORG, event_id="Ev0REVOKE"
        )
        assert revoked.status == 200
        ended = [(GRID_A, "cancelled", "team_access_revoked"), *pending]
        await settled(bot, ended)
        await _recorded(bot, [(GRID_B, ORG)])
        for event_id in ("Ev0REVOKE", None):  # the same delivery again, and a second event
            await sandbox.team_access(
                "team_access_revoked", [GRID_A, GRID_C], enterprise_id=ORG, event_id=event_id
            )
        async with bot.runtime.database.engine.connect() as conn:
            audits = await conn.execute(
                sa.text("SELECT details_json FROM audit_log WHERE kind = 'cancelled'")
            )
            assert ["team_access_revoked" in str(row[0]) for row in audits] == [True]
        with pytest.raises(SlackApiError, match="no token to act for this workspace"):
            await _post_as(bot, GRID_A)
        await settled(bot, ended)
    async with multi_bot(sandbox, database_url, config=config) as bot:
        await _approve(sandbox, GRID_B, b_card)
        told = await sandbox.calls.wait_for("chat.postMessage", where=_succeeded, timeout=10)
        assert told.token == org_token and told.args["thread_ts"] == b_card.args["thread_ts"]
        assert await _jobs_done(bot) == ["done", "done"]
    assert sandbox.deploy_api.applied_count() == 1


async def test_a_team_access_event_without_its_workspaces_is_ignored(
    sandbox: SlackSandbox, database_url: str
) -> None:
    """``team_ids`` missing or not a list of ids: acknowledged, logged, nothing changes."""
    async with multi_bot(sandbox, database_url) as bot:
        await install(sandbox, bot, ORG_WIDE)
        await _in_grid(sandbox, GRID_A, "help")
        with capture_logs() as logs, sandbox.as_team("", enterprise_id=ORG, org_wide=True):
            for event in (
                {"type": "team_access_revoked"},
                {"type": "team_access_revoked", "team_ids": GRID_A},
            ):
                delivery = await sandbox.driver.send_event(event, org_level=True)
                assert delivery.status == 200
            for _ in range(250):
                if sum(e["event"] == "payload_malformed" for e in logs) == 2:
                    break
                await asyncio.sleep(0.02)
        malformed = [e for e in logs if e["event"] == "payload_malformed"]
        assert [e["kind"] for e in malformed] == ["team_access_revoked"] * 2
        await _recorded(bot, [(GRID_A, ORG)])
