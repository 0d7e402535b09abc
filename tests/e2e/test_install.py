"""Many workspaces: installs through /slack/install -> Slack's authorize page ->
/slack/oauth_redirect, each workspace answered with its own token, the state checked, tokens
refreshed before they expire. Real app, real database, the sandbox as Slack."""

from __future__ import annotations

import secrets
import time
from collections.abc import AsyncIterator

import aiohttp
import pytest
import sqlalchemy as sa
from slack_sdk.web.async_client import AsyncWebClient

from bot.distribution import signed_state
from sandbox import SlackSandbox
from sandbox.oauth import InstallPlan
from tests.e2e.conftest import Bot
from tests.e2e.workspaces import (
    STATE_SECRET,
    TEAM_A,
    TEAM_B,
    authorize,
    begin_install,
    finish,
    install,
    install_two,
    multi_bot,
)


@pytest.fixture
async def multi(sandbox: SlackSandbox, database_url: str) -> AsyncIterator[Bot]:
    async with multi_bot(sandbox, database_url) as bot:
        yield bot


async def _installations(bot: Bot) -> list[tuple[str | None, str | None, str]]:
    async with bot.runtime.database.engine.connect() as conn:
        rows = await conn.execute(
            sa.text("SELECT team_id, enterprise_id, secrets FROM slack_installations")
        )
        return [(r[0], r[1], str(r[2])) for r in rows]


async def _reply_token(sandbox: SlackSandbox, team_id: str, text: str) -> str | None:
    before = sandbox.calls.count("chat.postMessage")
    with sandbox.as_team(team_id):
        await sandbox.people.say(f"<@U0BOT> {text}")
    reply = await sandbox.calls.wait_for("chat.postMessage", count=before + 1)
    return reply.token


async def test_install_stores_the_installation_sealed(sandbox: SlackSandbox, multi: Bot) -> None:
    """A full install stores the workspace's installation; its token is not readable at rest
    (sealed with the configured key) and Slack was asked for exactly the manifest's scopes."""
    token = await install(sandbox, multi, InstallPlan(TEAM_A, "Alpha"))
    rows = await _installations(multi)
    assert [(team, enterprise) for team, enterprise, _ in rows] == [(TEAM_A, None)]
    assert token not in rows[0][2] and rows[0][2].startswith("fernet:")
    exchange = sandbox.calls.for_method("oauth.v2.access")[-1]
    assert exchange.response["ok"] is True and "code" in exchange.args
    assert "chat:write" in sandbox.oauth.grants[token].scope
    async with aiohttp.ClientSession() as http, http.get(f"{multi.url}/readyz") as ready:
        assert ready.status == 200, await ready.text()
        assert (await ready.json())["slack"] == "ok"  # api.test: no workspace's token needed


async def test_each_workspace_is_answered_with_its_own_token(
    sandbox: SlackSandbox, multi: Bot
) -> None:
    """Two installed workspaces: a mention in each is answered with that workspace's token,
    never the other's (nor any token the bot was not installed with)."""
    token_a, token_b = await install_two(sandbox, multi)
    assert await _reply_token(sandbox, TEAM_B, "help") == token_b
    assert await _reply_token(sandbox, TEAM_A, "help") == token_a
    await multi.idle()
    used = {call.token for call in sandbox.calls.all() if call.token}
    assert used <= {token_a, token_b}


async def test_a_workspace_not_installed_gets_nothing(sandbox: SlackSandbox, multi: Bot) -> None:
    """A delivery naming a workspace without an installation is not answered at all."""
    await install(sandbox, multi, InstallPlan(TEAM_A, "Alpha"))
    with sandbox.as_team("T0STRANGER"):
        await sandbox.people.say("<@U0BOT> help")
    await multi.idle()
    assert sandbox.calls.count("chat.postMessage") == 0


async def _callback_status(multi: Bot, *, state: str | None, cookie: str | None) -> int:
    """Begin an install, then come back with ``state``/``cookie`` (None: the real ones)."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as http:
        started = await begin_install(http, multi)
        callback = await authorize(http, started)
        if state is not None:
            callback = callback.replace(started.state, state)
        return await finish(http, callback, cookie=cookie or started.cookie)


async def test_forged_state_is_refused(sandbox: SlackSandbox, multi: Bot) -> None:
    """A state signed with another secret (cookie to match) installs nothing."""
    forged = signed_state("x" * 32, expires_at=int(time.time()) + 300)
    status = await _callback_status(multi, state=forged, cookie=forged)
    assert status == 401  # Bolt's answer to an invalid state
    assert await _installations(multi) == []
    assert sandbox.calls.count("oauth.v2.access") == 0


async def test_expired_state_is_refused(sandbox: SlackSandbox, multi: Bot) -> None:
    """A state past its expiry (ours, cookie to match) installs nothing."""
    expired = signed_state(STATE_SECRET, expires_at=int(time.time()) - 1)
    status = await _callback_status(multi, state=expired, cookie=expired)
    assert status == 401
    assert await _installations(multi) == []


async def test_state_without_its_cookie_is_refused(sandbox: SlackSandbox, multi: Bot) -> None:
    """The callback in a browser that did not start the install (cookie of another) fails."""
    status = await _callback_status(multi, state=None, cookie=secrets.token_hex(8))
    assert status == 400
    assert await _installations(multi) == []


async def test_replayed_state_is_refused(sandbox: SlackSandbox, multi: Bot) -> None:
    """The same callback (state, cookie and all) a second time installs nothing more."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as http:
        started = await begin_install(http, multi)
        callback = await authorize(http, started)
        assert await finish(http, callback, cookie=started.cookie) == 200
        exchanges = sandbox.calls.count("oauth.v2.access")
        assert await finish(http, callback, cookie=started.cookie) == 401
    assert len(await _installations(multi)) == 1
    assert sandbox.calls.count("oauth.v2.access") == exchanges


async def test_org_wide_install_serves_the_organization(sandbox: SlackSandbox, multi: Bot) -> None:
    """An org-wide (Enterprise Grid) install is stored for the organization; a workspace of
    it is answered with the organization's token."""
    plan = InstallPlan(None, enterprise_id="E0GRID", enterprise_name="Grid", org_wide=True)
    token = await install(sandbox, multi, plan)
    assert [(t, e) for t, e, _ in await _installations(multi)] == [(None, "E0GRID")]
    before = sandbox.calls.count("chat.postMessage")
    with sandbox.as_team("T0GRIDA", enterprise_id="E0GRID", org_wide=True):
        await sandbox.people.say("<@U0BOT> help")
    reply = await sandbox.calls.wait_for("chat.postMessage", count=before + 1)
    assert reply.token == token


async def test_token_near_expiry_is_refreshed_before_the_call(
    sandbox: SlackSandbox, multi: Bot
) -> None:
    """With token rotation, a bot token expiring within the window (an hour left; the window
    is two) is refreshed once with the refresh-token grant before the reply is posted; the
    reply uses the new token, the old one is dead, and the new one is stored sealed."""
    sandbox.oauth.rotation = True
    sandbox.oauth.token_ttl = 3600
    old = await install(sandbox, multi, InstallPlan(TEAM_A, "Alpha"))
    assert old.startswith("xoxe.xoxb-")
    sandbox.oauth.token_ttl = 43200
    token = await _reply_token(sandbox, TEAM_A, "help")
    assert await _reply_token(sandbox, TEAM_A, "help") == token
    refreshes = [
        c for c in sandbox.calls.for_method("oauth.v2.access") if "refresh_token" in c.args
    ]
    assert [c.args["grant_type"] for c in refreshes] == ["refresh_token"]
    assert token == refreshes[0].response["access_token"] != old
    assert sandbox.oauth.check(old) == "token_revoked"
    rows = await _installations(multi)
    assert len(rows) == 1 and str(token) not in rows[0][2]


async def test_bot_token_exchanged_for_a_rotating_one(sandbox: SlackSandbox, multi: Bot) -> None:
    """The sandbox's oauth.v2.exchange turns a long-lived token into a rotating one (the
    documented answer: access token, refresh token, expiry) and retires the old one."""
    token = await install(sandbox, multi, InstallPlan(TEAM_B, "Bravo"))
    client = AsyncWebClient(base_url=sandbox.api_url)
    answer = await client.oauth_v2_exchange(
        token=token, client_id=sandbox.oauth.client_id, client_secret=sandbox.oauth.client_secret
    )
    assert answer["token_type"] == "bot" and answer["expires_in"] > 0
    assert answer["refresh_token"].startswith("xoxe-1-")
    assert answer["team"] == {"id": TEAM_B, "name": "Bravo"}
    assert sandbox.oauth.check(token) == "token_revoked"
    who = await AsyncWebClient(base_url=sandbox.api_url, token=answer["access_token"]).auth_test()
    assert who["team_id"] == TEAM_B
