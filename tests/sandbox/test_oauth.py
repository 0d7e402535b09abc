"""The sandbox's OAuth v2: the authorize redirect, oauth.v2.access (code and refresh grants)
with Slack's answer shape, oauth.v2.exchange, auth.revoke and auth.test per token, through
the real SDK client (which sends the client id and secret as HTTP Basic auth)."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlparse

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.distribution import OAuthClient
from sandbox import SlackSandbox
from sandbox.oauth import InstallPlan

REDIRECT = "https://bot.example/slack/oauth_redirect"


async def _code(sandbox: SlackSandbox, **query: str) -> dict[str, list[str]]:
    sandbox.oauth.redirect_urls = [REDIRECT]
    params = {"client_id": sandbox.oauth.client_id, "scope": "chat:write,commands", **query}
    async with (
        aiohttp.ClientSession() as http,
        http.get(
            f"{sandbox.base_url}/oauth/v2/authorize", params=params, allow_redirects=False
        ) as response,
    ):
        assert response.status == 302
        location = response.headers["Location"]
    assert location.startswith(REDIRECT + "?")
    return parse_qs(urlparse(location).query)


def _oauth(sandbox: SlackSandbox) -> AsyncWebClient:
    return OAuthClient(base_url=sandbox.api_url)


async def _access(sandbox: SlackSandbox, **args: Any) -> Any:
    o = sandbox.oauth
    return await _oauth(sandbox).oauth_v2_access(
        client_id=o.client_id, client_secret=o.client_secret, **args
    )


async def test_code_exchange_answers_slacks_shape_once(sandbox: SlackSandbox) -> None:
    """Authorize redirects with a code and the state; the code buys a bot token for the
    planned workspace, in oauth.v2.access's documented shape; a second use is invalid_code."""
    sandbox.oauth.plan(InstallPlan("T0ALPHA", "Alpha", user_id="U0BOB"))
    query = await _code(sandbox, state="s1")
    assert query["state"] == ["s1"]
    answer = await _access(sandbox, code=query["code"][0])
    assert answer["token_type"] == "bot" and answer["access_token"].startswith("xoxb-")
    assert answer["scope"] == "chat:write,commands" and answer["app_id"] == "A0SWITCH"
    assert answer["team"] == {"id": "T0ALPHA", "name": "Alpha"} and answer["enterprise"] is None
    assert answer["authed_user"] == {"id": "U0BOB"} and answer["is_enterprise_install"] is False
    assert "refresh_token" not in answer and "expires_in" not in answer
    with pytest.raises(SlackApiError) as again:
        await _access(sandbox, code=query["code"][0])
    assert again.value.response["error"] == "invalid_code"
    who = await AsyncWebClient(base_url=sandbox.api_url, token=answer["access_token"]).auth_test()
    assert who["team_id"] == "T0ALPHA"


async def test_bad_client_secret_and_redirect_are_refused(sandbox: SlackSandbox) -> None:
    """A wrong secret is bad_client_secret; a redirect URL not configured gets no code."""
    query = await _code(sandbox)
    with pytest.raises(SlackApiError) as bad:
        await _oauth(sandbox).oauth_v2_access(
            client_id=sandbox.oauth.client_id, client_secret="nope", code=query["code"][0]
        )
    assert bad.value.response["error"] == "bad_client_secret"
    status, answer = sandbox.oauth.authorize(
        {"client_id": sandbox.oauth.client_id, "redirect_uri": "https://evil.example/cb"}
    )
    assert (status, answer) == (400, "bad_redirect_uri")


async def test_rotation_refresh_and_revoke(sandbox: SlackSandbox) -> None:
    """With rotation: an expiring token and a refresh token; the refresh grant gives new
    ones and retires the old; a refresh token works once; auth.revoke (test) keeps the token,
    auth.revoke kills it (token_revoked)."""
    sandbox.oauth.rotation = True
    first = await _access(sandbox, code=(await _code(sandbox))["code"][0])
    assert first["access_token"].startswith("xoxe.xoxb-")
    assert 43190 <= first["expires_in"] <= 43200
    fresh = await _access(sandbox, grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert fresh["access_token"] != first["access_token"]
    assert fresh["refresh_token"] != first["refresh_token"] and fresh["expires_in"] > 0
    assert sandbox.oauth.check(first["access_token"]) == "token_revoked"
    with pytest.raises(SlackApiError) as reused:
        await _access(sandbox, grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert reused.value.response["error"] == "invalid_refresh_token"
    bot = AsyncWebClient(base_url=sandbox.api_url, token=fresh["access_token"])
    assert (await bot.auth_revoke(test=True))["revoked"] is False
    assert (await bot.auth_revoke())["revoked"] is True
    with pytest.raises(SlackApiError) as dead:
        await bot.auth_test()
    assert dead.value.response["error"] == "token_revoked"


async def test_an_expired_token_is_refused(sandbox: SlackSandbox) -> None:
    """A rotating token past its expiry answers token_expired."""
    sandbox.oauth.rotation = True
    sandbox.oauth.token_ttl = 0
    answer = await _access(sandbox, code=(await _code(sandbox))["code"][0])
    with pytest.raises(SlackApiError) as expired:
        await AsyncWebClient(base_url=sandbox.api_url, token=answer["access_token"]).auth_test()
    assert expired.value.response["error"] == "token_expired"
