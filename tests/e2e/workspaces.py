"""A multi-workspace bot and installs through its real OAuth endpoints, for the scenarios."""

from __future__ import annotations

import asyncio
import html
import re
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import aiohttp
import sqlalchemy as sa
from cryptography.fernet import Fernet

from bot.distribution import INSTALL_PATH, REDIRECT_PATH
from sandbox import ApiCall, SlackSandbox
from sandbox.oauth import InstallPlan
from tests.e2e.conftest import Bot, running_bot

_T = TypeVar("_T")

TEAM_A = "T0ALPHA"
TEAM_B = "T0BRAVO"
STATE_SECRET = secrets.token_hex(24)
STATE_COOKIE = "slack-app-oauth-state"
TOKEN_KEY = Fernet.generate_key().decode()


def multi_settings(sandbox: SlackSandbox, **more: str) -> dict[str, str]:
    """The variables that turn many workspaces on, for the sandbox's OAuth app."""
    return {
        "SLACK_CLIENT_ID": sandbox.oauth.client_id,
        "SLACK_CLIENT_SECRET": sandbox.oauth.client_secret,
        "SLACK_STATE_SECRET": STATE_SECRET,
        "SLACK_TOKEN_ENCRYPTION_KEY": TOKEN_KEY,
        **more,
    }


@asynccontextmanager
async def multi_bot(
    sandbox: SlackSandbox,
    database_url: str,
    *,
    settings: Mapping[str, str] | None = None,
    **options: Any,
) -> AsyncIterator[Bot]:
    """A running bot in multi-workspace mode, its redirect URL configured on the app."""
    variables = {**multi_settings(sandbox), **(settings or {})}
    async with running_bot(sandbox, database_url, settings=variables, **options) as bot:
        sandbox.oauth.redirect_urls = [f"{bot.url}{REDIRECT_PATH}"]
        yield bot


@dataclass(frozen=True, slots=True)
class Started:
    """An install begun at ``/slack/install``: the authorize link and the browser's cookie."""

    authorize_url: str
    state: str
    cookie: str


async def begin_install(http: aiohttp.ClientSession, bot: Bot) -> Started:
    """Open ``/slack/install`` as a browser does: the page's Add to Slack link and cookie."""
    async with http.get(f"{bot.url}{INSTALL_PATH}", allow_redirects=False) as response:
        assert response.status == 200, await response.text()
        page = await response.text()
        cookie = response.cookies[STATE_COOKIE].value
    link = re.search(r'href="([^"]+oauth/v2/authorize[^"]+)"', page)
    assert link is not None, page
    url = html.unescape(link.group(1))
    state = re.search(r"[?&]state=([^&]+)", url)
    assert state is not None
    return Started(url, state.group(1), cookie)


async def authorize(http: aiohttp.ClientSession, started: Started) -> str:
    """The person allows: the redirect back to the bot (with the code and state)."""
    async with http.get(started.authorize_url, allow_redirects=False) as response:
        assert response.status == 302, await response.text()
        return response.headers["Location"]


async def finish(http: aiohttp.ClientSession, callback: str, *, cookie: str | None) -> int:
    """The browser follows the redirect to ``/slack/oauth_redirect``; its HTTP status."""
    headers = {"Cookie": f"{STATE_COOKIE}={cookie}"} if cookie is not None else {}
    async with http.get(callback, headers=headers, allow_redirects=False) as response:
        await response.read()
        return response.status


async def install(sandbox: SlackSandbox, bot: Bot, plan: InstallPlan) -> str:
    """Install the app into ``plan``'s workspace through the bot's endpoints; the bot token
    the sandbox issued."""
    sandbox.oauth.plan(plan)
    before = set(sandbox.oauth.grants)
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as http:
        started = await begin_install(http, bot)
        callback = await authorize(http, started)
        assert await finish(http, callback, cookie=started.cookie) == 200
    (token,) = set(sandbox.oauth.grants) - before
    return token


async def install_two(sandbox: SlackSandbox, bot: Bot) -> tuple[str, str]:
    """Workspaces A and B installed; their bot tokens."""
    first = await install(sandbox, bot, InstallPlan(TEAM_A, "Alpha"))
    second = await install(sandbox, bot, InstallPlan(TEAM_B, "Bravo"))
    return first, second


async def say(
    sandbox: SlackSandbox,
    team: str,
    text: str,
    *,
    user: str = "U0ALICE",
    enterprise_id: str | None = None,
    org_wide: bool = False,
) -> ApiCall:
    """``user`` mentions the bot in ``team`` (of organization ``enterprise_id``, installed
    org-wide or not); the reply the bot posts."""
    before = sandbox.calls.count("chat.postMessage")
    with sandbox.as_team(team, enterprise_id=enterprise_id, org_wide=org_wide):
        await sandbox.people.say(f"<@U0BOT> {text}", user=user)
    return await sandbox.calls.wait_for("chat.postMessage", count=before + 1, timeout=10)


async def approvals(bot: Bot) -> list[tuple[str, str, str | None]]:
    """Every approval request stored: (workspace, state, reason), oldest first."""
    async with bot.runtime.database.engine.connect() as conn:
        rows = await conn.execute(
            sa.text("SELECT team_id, state, reason FROM approvals ORDER BY created_at")
        )
        return [(str(r[0]), str(r[1]), r[2]) for r in rows]


async def settled(bot: Bot, expected: list[tuple[str, str, str | None]]) -> None:
    """Await the approvals reaching ``expected`` (a removal runs after Slack's ack): a
    bounded poll, failing with what was stored."""
    await reaches(lambda: approvals(bot), expected)


async def reaches(read: Callable[[], Awaitable[_T]], expected: _T) -> None:
    """Await ``read()`` returning ``expected``: a bounded poll, failing with what it read."""
    seen = await read()
    for _ in range(250):
        if seen == expected:
            return
        await asyncio.sleep(0.02)
        seen = await read()
    assert seen == expected
