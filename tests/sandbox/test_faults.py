"""Fault injection as the SDK feels it: rate limits, 5xx, errors, hangs, lost answers,
slow answers and dropped connections."""

from __future__ import annotations

import asyncio
import contextlib

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_interval_calculators import FixedValueRetryIntervalCalculator
from slack_sdk.web.async_client import AsyncWebClient

from sandbox import Fault, SlackSandbox


def _no_retries(sandbox: SlackSandbox) -> AsyncWebClient:
    return AsyncWebClient(token=sandbox.bot_token, base_url=sandbox.api_url, retry_handlers=[])


async def test_rate_limit_is_retried_after_retry_after(sandbox: SlackSandbox) -> None:
    """A 429 carries Retry-After; the SDK's handler waits and the retry is applied."""
    sandbox.faults.inject("chat.postMessage", Fault.rate_limited(retry_after=0))
    client = AsyncWebClient(
        token=sandbox.bot_token,
        base_url=sandbox.api_url,
        retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=1)],
    )
    response = await client.chat_postMessage(channel="C0GENERAL", text="hi")
    assert response["ok"] is True
    limited, retried = sandbox.calls.for_method("chat.postMessage")
    assert (limited.status, limited.response["error"]) == (429, "ratelimited")
    assert retried.status == 200
    assert len(sandbox.workspace.store.timeline("C0GENERAL")) == 1


async def test_a_fault_for_one_workspace_meets_only_its_tokens_calls(
    sandbox: SlackSandbox,
) -> None:
    """A fault injected for workspace A meets the call made with A's installed token, not
    the one made with B's (nor the sandbox's own token)."""
    from sandbox.oauth import InstallPlan

    tokens = {
        team: sandbox.oauth.issue(InstallPlan(team), "chat:write", rotating=False).token
        for team in ("TA", "TB")
    }
    sandbox.faults.inject("chat.postMessage", Fault.rate_limited(retry_after=30), team_id="TA")
    for token in (tokens["TB"], sandbox.bot_token, tokens["TA"]):
        client = AsyncWebClient(token=token, base_url=sandbox.api_url, retry_handlers=[])
        with contextlib.suppress(SlackApiError):
            await client.chat_postMessage(channel="C0GENERAL", text="hi")
    calls = sandbox.calls.for_method("chat.postMessage")
    assert [(c.token, c.status) for c in calls] == [
        (tokens["TB"], 200),
        (sandbox.bot_token, 200),
        (tokens["TA"], 429),
    ]


async def test_rate_limit_headers(sandbox: SlackSandbox) -> None:
    """Without a retry handler the SDK raises, showing status 429 and Retry-After."""
    sandbox.faults.inject("chat.postMessage", Fault.rate_limited(retry_after=7))
    with pytest.raises(SlackApiError) as info:
        await _no_retries(sandbox).chat_postMessage(channel="C0GENERAL", text="hi")
    assert info.value.response.status_code == 429
    assert info.value.response.headers["Retry-After"] == "7"
    assert sandbox.workspace.store.timeline("C0GENERAL") == []


async def test_server_errors_are_not_applied_and_wear_off(sandbox: SlackSandbox) -> None:
    """A 5xx fault fails `times` calls without applying them; then the method is healthy."""
    sandbox.faults.inject("chat.postMessage", Fault.server_error(503, times=2))
    client = _no_retries(sandbox)
    for _ in range(2):
        with pytest.raises(SlackApiError) as info:
            await client.chat_postMessage(channel="C0GENERAL", text="hi")
        assert info.value.response.status_code == 503
    await client.chat_postMessage(channel="C0GENERAL", text="hi")
    assert [c.status for c in sandbox.calls.for_method("chat.postMessage")] == [503, 503, 200]
    assert len(sandbox.workspace.store.timeline("C0GENERAL")) == 1


async def test_error_fault_answers_ok_false(sandbox: SlackSandbox) -> None:
    """An error fault answers HTTP 200 with ok:false and the given error."""
    sandbox.faults.inject("conversations.replies", Fault.api_error("internal_error"))
    with pytest.raises(SlackApiError) as info:
        await _no_retries(sandbox).conversations_replies(channel="C0GENERAL", ts="1.000001")
    assert info.value.response.status_code == 200
    assert info.value.response["error"] == "internal_error"


async def test_hang_is_seen_then_dropped_on_release(sandbox: SlackSandbox) -> None:
    """A hung call is recorded with status 0, is not applied, and is dropped on release."""
    sandbox.faults.inject("chat.postMessage", Fault.hung())
    post = asyncio.create_task(_no_retries(sandbox).chat_postMessage(channel="C0GENERAL", text="x"))
    arrived = await sandbox.calls.wait_for("chat.postMessage")
    assert arrived.status == 0
    assert sandbox.workspace.store.timeline("C0GENERAL") == []
    assert sandbox.hangs.release() == 1
    with pytest.raises(aiohttp.ClientError):
        await post
    assert sandbox.workspace.store.timeline("C0GENERAL") == []


async def test_apply_then_hang_posts_without_answering(sandbox: SlackSandbox) -> None:
    """apply_then_hang stores the message and records the call, but never answers."""
    sandbox.faults.inject("chat.postMessage", Fault.lost_response())
    post = asyncio.create_task(_no_retries(sandbox).chat_postMessage(channel="C0GENERAL", text="x"))
    applied = await sandbox.calls.wait_for("chat.postMessage")
    assert applied.status == 200
    assert [m["ts"] for m in sandbox.workspace.store.timeline("C0GENERAL")] == [
        applied.response["ts"]
    ]
    assert not post.done()
    sandbox.hangs.release()
    with pytest.raises(aiohttp.ClientError):
        await post


async def test_close_releases_hung_requests() -> None:
    """close() frees hung requests at once instead of waiting for them."""
    sandbox = await SlackSandbox().start()
    sandbox.faults.inject("auth.test", Fault.hung())
    post = asyncio.create_task(_no_retries(sandbox).auth_test())
    await sandbox.calls.wait_for("auth.test")
    async with asyncio.timeout(2):
        await sandbox.close()
    with pytest.raises(aiohttp.ClientError):
        await post
    await sandbox.close()  # idempotent


async def test_dropped_connection_is_retried_by_the_sdk(sandbox: SlackSandbox) -> None:
    """A dropped call is recorded with status 0; the SDK's connection handler retries it."""
    sandbox.faults.inject("chat.postMessage", Fault.dropped())
    retry_at_once = AsyncConnectionErrorRetryHandler(
        interval_calculator=FixedValueRetryIntervalCalculator(fixed_internal=0.01)
    )
    client = AsyncWebClient(
        token=sandbox.bot_token, base_url=sandbox.api_url, retry_handlers=[retry_at_once]
    )
    await client.chat_postMessage(channel="C0GENERAL", text="x")
    assert [c.status for c in sandbox.calls.for_method("chat.postMessage")] == [0, 200]
    assert len(sandbox.workspace.store.timeline("C0GENERAL")) == 1


async def test_slow_answers(sandbox: SlackSandbox) -> None:
    """A delay fault answers normally after the delay; a client timeout gives up first."""
    sandbox.faults.inject("auth.test", Fault.slow(0.2))
    client = _no_retries(sandbox)
    started = asyncio.get_running_loop().time()
    assert (await client.auth_test())["ok"] is True
    assert asyncio.get_running_loop().time() - started >= 0.2
    sandbox.faults.inject("auth.test", Fault.slow(0.5))
    impatient = AsyncWebClient(
        token=sandbox.bot_token, base_url=sandbox.api_url, timeout=0.1, retry_handlers=[]
    )
    with pytest.raises(TimeoutError):
        await impatient.auth_test()


async def test_clear_faults(sandbox: SlackSandbox) -> None:
    """clear_faults() makes every method healthy again."""
    sandbox.faults.inject("auth.test", Fault.server_error(times=5))
    sandbox.faults.clear()
    assert (await _no_retries(sandbox).auth_test())["ok"] is True


def test_fault_values_are_validated() -> None:
    """Faults refuse nonsense: zero times, a 200 status without an error, negative delays."""
    with pytest.raises(ValueError, match="times"):
        Fault("status", times=0)
    with pytest.raises(ValueError, match="error"):
        Fault("status", status=200)
    with pytest.raises(ValueError, match="delay"):
        Fault("delay", delay=-1)
    assert Fault.rate_limited().headers() == {"Retry-After": "1"}
    assert Fault.server_error(503).body() == {"ok": False, "error": "service_unavailable"}
