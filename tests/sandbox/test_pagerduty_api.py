"""The PagerDuty stand-in speaks the documented shapes: token check, paging fields,
``since``/``until``/``earliest`` on-calls, and event validation."""

from __future__ import annotations

import aiohttp

from sandbox.pagerduty_api import PagerDutyStandIn


async def test_rest_needs_the_token_and_pages(pd: PagerDutyStandIn) -> None:
    """No ``Token token=…``: 401 with PagerDuty's error shape; with it, ``limit``,
    ``offset`` and ``more`` page the list."""
    async with aiohttp.ClientSession() as http:
        async with http.get(pd.base_url + "/services") as refused:
            assert refused.status == 401
            assert (await refused.json())["error"]["message"] == "Unauthorized"
        auth = {"Authorization": f"Token token={pd.token}"}
        async with http.get(pd.base_url + "/services?limit=1", headers=auth) as first:
            body = await first.json()
    assert [s["name"] for s in body["services"]] == ["checkout"]
    assert (body["limit"], body["offset"], body["more"]) == (1, 0, True)


async def test_oncalls_window_and_earliest(pd: PagerDutyStandIn) -> None:
    """Three weeks of a weekly schedule: four level-1 windows and the level-2 user;
    ``earliest=true`` keeps one per level and user."""
    query = (
        "/oncalls?escalation_policy_ids[]=PESCAL1&since=2026-11-05T12:00:00Z"
        "&until=2026-11-26T12:00:00Z"
    )
    auth = {"Authorization": f"Token token={pd.token}"}
    async with aiohttp.ClientSession(headers=auth) as http:
        async with http.get(pd.base_url + query) as full:
            every = (await full.json())["oncalls"]
        async with http.get(pd.base_url + query + "&earliest=true") as first:
            earliest = (await first.json())["oncalls"]
    assert [(e["escalation_level"], e["start"]) for e in every][:2] == [
        (1, "2026-11-02T09:00:00Z"),
        (1, "2026-11-09T09:00:00Z"),
    ]
    assert len(every) == 5 and len(earliest) == 3


async def test_enqueue_accepts_valid_events_and_refuses_invalid_ones(pd: PagerDutyStandIn) -> None:
    """A valid trigger: 202 with its dedup key. A missing summary: 400 ``invalid event``."""
    event = {
        "routing_key": pd.routing_keys["payments"],
        "event_action": "trigger",
        "dedup_key": "abc",
        "payload": {"summary": "slow", "source": "x", "severity": "warning"},
    }
    async with aiohttp.ClientSession() as http:
        async with http.post(pd.base_url + "/v2/enqueue", json=event) as accepted:
            assert accepted.status == 202
            assert (await accepted.json())["dedup_key"] == "abc"
        del event["payload"]["summary"]  # type: ignore[attr-defined]
        async with http.post(pd.base_url + "/v2/enqueue", json=event) as refused:
            assert refused.status == 400
            assert (await refused.json())["status"] == "invalid event"
    assert len(pd.events) == 1 and pd.incidents[0].urgency == "low"
