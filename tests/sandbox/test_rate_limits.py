"""Rate limits per method and workspace: HTTP 429 ``ratelimited`` with ``Retry-After`` past a
method's window, as the SDK sees it; the tiers the AI-app methods start with."""

from __future__ import annotations

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from sandbox import Limit, SlackSandbox
from sandbox.ratelimits import DEFAULT_LIMITS, RateLimiter

from .clock import ManualClock
from .receiver import Receiver

RECIPIENT = {"recipient_team_id": "T0SANDBOX", "recipient_user_id": "U0ALICE"}


def _client(sandbox: SlackSandbox) -> AsyncWebClient:
    return AsyncWebClient(token=sandbox.bot_token, base_url=sandbox.api_url, retry_handlers=[])


def test_the_ai_methods_start_with_their_documented_tiers() -> None:
    """startStream and stopStream are Tier 2, appendStream Tier 4, setStatus special (per
    conversation), the sessions methods Tier 3; other methods are not limited."""
    assert DEFAULT_LIMITS["chat.startStream"] == Limit(20)
    assert DEFAULT_LIMITS["chat.stopStream"] == Limit(20)
    assert DEFAULT_LIMITS["chat.appendStream"] == Limit(100)
    assert DEFAULT_LIMITS["assistant.threads.setSuggestedPrompts"] == Limit(100)
    assert DEFAULT_LIMITS["agents.sessions.setStatus"] == Limit(50)
    assert DEFAULT_LIMITS["assistant.threads.setStatus"].scope == "channel"
    assert "chat.postMessage" not in DEFAULT_LIMITS


async def test_past_the_window_slack_answers_429_with_retry_after(
    receiver: Receiver, clock: ManualClock
) -> None:
    """The 21st chat.startStream within a minute is a 429 ratelimited with Retry-After until
    the oldest call leaves the window; it is recorded and not applied."""
    async with SlackSandbox(request_url=receiver.url, clock=clock) as sandbox:
        client = _client(sandbox)
        question = (await sandbox.people.say("hi", channel="D0ALICE")).ts
        for _ in range(20):
            await client.chat_startStream(channel="D0ALICE", thread_ts=question)
            clock.advance(1)
        with pytest.raises(SlackApiError) as info:
            await client.chat_startStream(channel="D0ALICE", thread_ts=question)
        assert info.value.response.status_code == 429
        assert info.value.response["error"] == "ratelimited"
        assert info.value.response.headers["Retry-After"] == "40"
        assert sandbox.calls.for_method("chat.startStream")[-1].status == 429
        assert len(sandbox.streams.all()) == 20
        clock.advance(40)
        assert (await client.chat_startStream(channel="D0ALICE", thread_ts=question))["ok"]


async def test_the_sdk_waits_out_a_limit_and_retries(receiver: Receiver) -> None:
    """With the SDK's rate-limit handler a refused append is retried after Retry-After."""
    limits = {"chat.appendStream": Limit(1, per=1.0)}
    async with SlackSandbox(request_url=receiver.url, rate_limits=limits) as sandbox:
        client = AsyncWebClient(
            token=sandbox.bot_token,
            base_url=sandbox.api_url,
            retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=2)],
        )
        question = (await sandbox.people.say("hi", channel="D0ALICE")).ts
        ts = (await client.chat_startStream(channel="D0ALICE", thread_ts=question))["ts"]
        await client.chat_appendStream(channel="D0ALICE", ts=ts, markdown_text="a")
        await client.chat_appendStream(channel="D0ALICE", ts=ts, markdown_text="b")
        statuses = [c.status for c in sandbox.calls.for_method("chat.appendStream")]
        assert statuses[0] == 200
        assert 429 in statuses
        assert statuses[-1] == 200
        stream = sandbox.streams.get(ts)
        assert stream is not None
        assert stream.text == "ab"


async def test_limits_are_configurable(receiver: Receiver) -> None:
    """A sandbox takes its own limits; None lifts a limit; set() changes one later."""
    limits = {"chat.startStream": None, "chat.postMessage": Limit(1)}
    async with SlackSandbox(request_url=receiver.url, rate_limits=limits) as sandbox:
        client = _client(sandbox)
        question = (await sandbox.people.say("hi", channel="D0ALICE")).ts
        for _ in range(25):
            await client.chat_startStream(channel="D0ALICE", thread_ts=question)
        await client.chat_postMessage(channel="D0ALICE", text="one")
        with pytest.raises(SlackApiError) as info:
            await client.chat_postMessage(channel="D0ALICE", text="two")
        assert info.value.response.status_code == 429
        sandbox.rate_limits.set("chat.postMessage", None)
        assert (await client.chat_postMessage(channel="D0ALICE", text="three"))["ok"]
        assert sandbox.rate_limits.limit("chat.startStream") is None


async def test_set_status_is_limited_per_conversation(receiver: Receiver) -> None:
    """The special setStatus limit counts each conversation apart."""
    limits = {"assistant.threads.setStatus": Limit(1, scope="channel")}
    async with SlackSandbox(request_url=receiver.url, rate_limits=limits) as sandbox:
        client = _client(sandbox)
        alice = (await sandbox.people.say("hi", channel="D0ALICE")).ts
        bob = (await sandbox.people.say("hi", user="U0BOB", channel="D0BOB")).ts
        await client.assistant_threads_setStatus(channel_id="D0ALICE", thread_ts=alice, status="a")
        await client.assistant_threads_setStatus(channel_id="D0BOB", thread_ts=bob, status="b")
        with pytest.raises(SlackApiError) as info:
            await client.assistant_threads_setStatus(
                channel_id="D0ALICE", thread_ts=alice, status="c"
            )
        assert info.value.response.status_code == 429
        assert sandbox.assistant.status("D0ALICE", alice) == "a"


def test_the_limiter_window_slides_and_resets() -> None:
    """Calls leave the window after `per` seconds; reset() forgets them all."""
    clock = ManualClock(start=0.0)
    limiter = RateLimiter(clock, {"m": Limit(2, per=10.0)})
    assert limiter.admit("m", {}) is None
    clock.advance(4)
    assert limiter.admit("m", {}) is None
    assert limiter.admit("m", {}) == 6
    clock.advance(6)
    assert limiter.admit("m", {}) is None
    assert limiter.admit("other", {}) is None
    limiter.reset()
    assert limiter.admit("m", {}) is None
    with pytest.raises(ValueError, match="calls"):
        Limit(0)
