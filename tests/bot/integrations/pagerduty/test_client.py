"""The PagerDuty seam against the sandbox's stand-in: reads across pages, errors translated,
retries only where safe, and the waits it takes recorded instead of slept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import aiohttp
import pytest

from bot.integrations.pagerduty import (
    PagerDutyAuthError,
    PagerDutyClient,
    PagerDutyRejected,
    PagerDutyTransient,
)
from sandbox.pagerduty_api import PagerDutyStandIn

NOW = datetime(2026, 11, 5, 12, 0, tzinfo=UTC)


class Waits:
    """A ``Sleep`` that records each wait and returns at once."""

    def __init__(self) -> None:
        self.taken: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.taken.append(seconds)


def _client(
    pd: PagerDutyStandIn,
    session: aiohttp.ClientSession,
    waits: Waits,
    *,
    token: str | None = None,
    timeout: float = 2.0,
) -> PagerDutyClient:
    return PagerDutyClient(
        session,
        api_url=pd.base_url,
        events_url=pd.base_url,
        token=pd.token if token is None else token,
        timeout=timeout,
        sleep=waits,
    )


async def test_service_policy_and_oncalls_across_pages(
    pd: PagerDutyStandIn, session: aiohttp.ClientSession
) -> None:
    """Service → escalation policy; a long window's on-calls come back whole across pages
    (``more`` followed with ``offset``)."""
    client = _client(pd, session, Waits())
    assert await client.service_policy("PSVC001") == ("PESCAL1", "Checkout escalation")
    entries = await client.oncalls(policy_id="PESCAL1", since=NOW, until=NOW + timedelta(days=7))
    assert {(e["escalation_level"], e["user"]["summary"]) for e in entries} >= {
        (2, "Edsger Dijkstra")
    }
    pd.requests.clear()
    long = await client.oncalls(policy_id="PESCAL1", since=NOW, until=NOW + timedelta(days=7 * 150))
    assert len(long) == 3  # earliest: one per level and user
    assert [path for path, _ in pd.requests] == ["/oncalls"]


async def test_a_refused_token_is_an_auth_error_and_not_retried(
    pd: PagerDutyStandIn, session: aiohttp.ClientSession
) -> None:
    """401: :class:`PagerDutyAuthError` at once; its reason holds no token."""
    waits = Waits()
    with pytest.raises(PagerDutyAuthError) as caught:
        await _client(pd, session, waits, token="nope-123456").service_policy("PSVC001")
    assert "HTTP 401" in caught.value.reason and "nope" not in caught.value.reason
    assert waits.taken == [] and len(pd.requests) == 1


async def test_no_token_is_said_without_calling(
    pd: PagerDutyStandIn, session: aiohttp.ClientSession
) -> None:
    """Without a REST token nothing is sent."""
    with pytest.raises(PagerDutyAuthError, match="PAGERDUTY_API_TOKEN is not set"):
        await _client(pd, session, Waits(), token="").service_policy("PSVC001")
    assert pd.requests == []


async def test_5xx_and_429_are_retried_with_retry_after(
    pd: PagerDutyStandIn, session: aiohttp.ClientSession
) -> None:
    """A 503 then a 429 asking for 2 s: the read succeeds on the third attempt, having waited
    the server's 2 s before it."""
    pd.fail_next(503)
    pd.fail_next(429, retry_after=2)
    waits = Waits()
    assert await _client(pd, session, waits).service_policy("PSVC002") == (
        "PESCAL1",
        "Checkout escalation",
    )
    assert waits.taken[-1] == 2.0 and [s for _, s in pd.requests] == [503, 429, 200]


async def test_an_unknown_service_is_rejected(
    pd: PagerDutyStandIn, session: aiohttp.ClientSession
) -> None:
    """404: :class:`PagerDutyRejected` with PagerDuty's message, not retried."""
    with pytest.raises(PagerDutyRejected, match=r"HTTP 404.*Not Found"):
        await _client(pd, session, Waits()).service_policy("PNOPE")


async def test_an_event_with_a_dedup_key_is_retried_and_deduplicated(
    pd: PagerDutyStandIn, session: aiohttp.ClientSession
) -> None:
    """A trigger refused once with 502 is sent again (its dedup key makes that harmless):
    PagerDuty opens one incident for it, and sending it once more opens none."""
    pd.fail_next(502)
    client = _client(pd, session, Waits())
    event = {
        "routing_key": pd.routing_keys["checkout"],
        "event_action": "trigger",
        "dedup_key": "k-1",
        "payload": {"summary": "down", "source": "switchboard", "severity": "critical"},
    }
    assert (await client.enqueue(event)).dedup_key == "k-1"
    await client.enqueue(event)
    assert len(pd.events) == 2 and len(pd.incidents) == 1
    found = await client.incident_for("k-1")
    assert found is not None and found.number == 1 and found.html_url.endswith("/PINC0001")
    assert await client.incident_for("other") is None


async def test_an_event_without_a_dedup_key_is_sent_once(
    pd: PagerDutyStandIn, session: aiohttp.ClientSession
) -> None:
    """No dedup key, no retry: a 502 is the answer."""
    pd.fail_next(502)
    event = {
        "routing_key": pd.routing_keys["checkout"],
        "event_action": "trigger",
        "payload": {"summary": "down", "source": "switchboard", "severity": "critical"},
    }
    with pytest.raises(PagerDutyTransient, match="HTTP 502"):
        await _client(pd, session, Waits()).enqueue(event)
    assert len(pd.requests) == 1


async def test_an_invalid_event_is_rejected_with_pagerdutys_reason(
    pd: PagerDutyStandIn, session: aiohttp.ClientSession
) -> None:
    """400 invalid event: :class:`PagerDutyRejected` quoting the first error."""
    event = {"routing_key": "short", "event_action": "trigger", "dedup_key": "k"}
    with pytest.raises(PagerDutyRejected, match="routing_key"):
        await _client(pd, session, Waits()).enqueue(event)
    assert pd.events == []


async def test_a_timeout_is_transient_and_says_how_long(
    pd: PagerDutyStandIn, session: aiohttp.ClientSession
) -> None:
    """Every attempt outlasts the timeout: a transient error naming it, after 3 attempts."""
    pd.delay_next(0.5, times=3)
    with pytest.raises(PagerDutyTransient, match=r"did not answer within 0\.1s"):
        await _client(pd, session, Waits(), timeout=0.1).service_policy("PSVC001")
