"""PagerDuty's V3 webhooks through the real app: the stand-in signs and delivers them to
``POST /pagerduty/webhooks`` on the bot's HTTP server, and the Slack incident they are about
hears it (a message in the card's thread, the card redrawn, the timeline), once; forged,
malformed, stale and unknown deliveries change nothing."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from structlog.testing import capture_logs

from agents.incidents.records import Incident
from bot.pagerduty_webhook import PAGERDUTY_WEBHOOK_PATH
from handlers.approval_blocks import APPROVE_ACTION
from sandbox import ApiCall, SlackSandbox
from sandbox.pagerduty_api import PagerDutyStandIn
from sandbox.pagerduty_webhooks import signature_of
from tests.e2e.conftest import Bot, running_bot
from tests.e2e.pagerduty_config import (
    WEBHOOK_SECRETS,
    pagerduty_bot,
    pagerduty_config,
    pagerduty_environ,
)

SECRET = WEBHOOK_SECRETS["PD_WEBHOOK_SECRET"]


@pytest.fixture
async def hooked(
    sandbox: SlackSandbox, database_url: str, pd: PagerDutyStandIn
) -> AsyncIterator[Bot]:
    """The bot receiving webhooks signed with ``PD_WEBHOOK_SECRET``; the stand-in delivers
    them to it."""
    async with pagerduty_bot(
        sandbox, database_url, pd, webhook_secrets=("PD_WEBHOOK_SECRET",)
    ) as bot:
        pd.webhooks.subscribe(f"{bot.url}{PAGERDUTY_WEBHOOK_PATH}", [SECRET])
        yield bot


@dataclass(frozen=True, slots=True)
class Paged:
    """An incident declared in Slack and paged in PagerDuty (the trigger approved)."""

    incident_id: str
    channel: str
    card_ts: str


async def _declare_and_page(sandbox: SlackSandbox, pd: PagerDutyStandIn, bot: Bot) -> Paged:
    """Alice declares sev1 with service=checkout, Bob approves the trigger, PagerDuty opens
    PINC0001 (and delivers ``incident.triggered``)."""
    await sandbox.people.say("<@U0BOT> incident: declare sev1 Checkout down service=checkout")
    card = await sandbox.calls.wait_for(
        "chat.postMessage", where=lambda c: c.args["channel"] == "C0GENERAL"
    )
    channel = (await sandbox.calls.wait_for("conversations.create")).response["channel"]["id"]
    summary = await sandbox.calls.wait_for(
        "chat.postMessage", where=lambda c: c.args["channel"] == channel
    )
    await sandbox.people.click(card.response["ts"], APPROVE_ACTION, user="U0BOB")
    await pd.webhooks.wait_for(1)  # incident.triggered
    await bot.idle()
    incident_id = f"inc-{card.args['metadata']['event_payload']['trace_id']}"
    return Paged(incident_id, channel, str(summary.response["ts"]))


def _in_thread(paged: Paged, words: str) -> object:
    def matches(call: ApiCall) -> bool:
        return (
            call.args["channel"] == paged.channel
            and call.args.get("thread_ts") == paged.card_ts
            and words in call.args["text"]
        )

    return matches


async def _stored(bot: Bot, paged: Paged) -> Incident:
    found = await bot.runtime.database.incidents.get(paged.incident_id)
    assert found is not None
    return found


def _news(incident: Incident) -> list[str]:
    return [e.text for e in incident.timeline if e.user_id == "pagerduty"]


async def test_acknowledged_and_resolved_in_pagerduty_reach_the_slack_incident(
    sandbox: SlackSandbox, pd: PagerDutyStandIn, hooked: Bot
) -> None:
    """Ada acknowledges in PagerDuty, then resolves: each signed webhook is answered 202,
    the incident's card thread says who did what with the PagerDuty link, the card is
    redrawn with the service's PagerDuty status, the timeline keeps both; once every paged
    alert is resolved the thread offers `incident: resolve`, and the Slack incident stays
    open until someone does. The trigger shows once though both the run and PagerDuty's
    ``incident.triggered`` report it."""
    paged = await _declare_and_page(sandbox, pd, hooked)
    link = "https://example.pagerduty.com/incidents/PINC0001"
    triggered = await sandbox.calls.wait_for(
        "chat.postMessage", where=_in_thread(paged, "PagerDuty: checkout triggered")
    )
    assert link in triggered.args["text"]

    pd.act("PINC0001", "incident.acknowledged", user="PUSER01")
    told = await sandbox.calls.wait_for(
        "chat.postMessage", where=_in_thread(paged, "acknowledged by Ada Lovelace")
    )
    assert "PagerDuty: checkout acknowledged by Ada Lovelace (incident #1)" in told.args["text"]
    redrawn = await sandbox.calls.wait_for(
        "chat.update",
        where=lambda c: c.args["ts"] == paged.card_ts and "acknowledged" in str(c.args["blocks"]),
    )
    assert f"<{link}|acknowledged>" in str(redrawn.args["blocks"])

    pd.act("PINC0001", "incident.resolved", user="PUSER02")
    done = await sandbox.calls.wait_for(
        "chat.postMessage", where=_in_thread(paged, "resolved by Grace Hopper")
    )
    assert "`incident: resolve [summary]`" in done.args["text"]
    await sandbox.calls.wait_for(
        "chat.update",
        where=lambda c: c.args["ts"] == paged.card_ts and "|resolved>" in str(c.args["blocks"]),
    )
    assert [d.status for d in await pd.webhooks.wait_for(3)] == [202, 202, 202]
    stored = await _stored(hooked, paged)
    assert stored.status == "investigating"
    # The run's report and PagerDuty's incident.triggered say the same: one line.
    assert [t.split(" (")[0].split(" by Events")[0] for t in _news(stored)] == [
        "PagerDuty: checkout triggered",
        "PagerDuty: checkout acknowledged by Ada Lovelace",
        "PagerDuty: checkout resolved by Grace Hopper",
    ]


async def test_a_forged_signature_is_refused_and_changes_nothing(
    sandbox: SlackSandbox, pd: PagerDutyStandIn, hooked: Bot
) -> None:
    """A delivery signed with another secret (or whose body was altered after signing) is
    answered 401; no message, no redraw, no timeline entry. Without any v1 signature: 400."""
    paged = await _declare_and_page(sandbox, pd, hooked)
    before = await _stored(hooked, paged)
    posts, updates = sandbox.calls.count("chat.postMessage"), sandbox.calls.count("chat.update")
    event = pd.act("PINC0001", "incident.acknowledged", user="PUSER01")
    genuine = (await pd.webhooks.wait_for(2))[-1]
    await sandbox.calls.wait_for("chat.postMessage", count=posts + 1)
    posts, updates = sandbox.calls.count("chat.postMessage"), sandbox.calls.count("chat.update")
    stored = await _stored(hooked, paged)

    forged = json.dumps({"event": {**event, "id": "forged-1"}}).encode()
    assert await pd.webhooks.post(forged, signature=signature_of(forged, ["guess"])) == 401
    altered = genuine.body.replace(b"Ada Lovelace", b"Mallory")
    signed = genuine.headers["X-PagerDuty-Signature"]
    assert await pd.webhooks.post(altered, signature=signed) == 401
    assert await pd.webhooks.post(forged, signature="") == 400
    assert await pd.webhooks.post(forged, signature="v0=abc") == 400

    await hooked.idle()
    assert sandbox.calls.count("chat.postMessage") == posts
    assert sandbox.calls.count("chat.update") == updates
    assert (await _stored(hooked, paged)).timeline == stored.timeline
    assert len(stored.timeline) == len(before.timeline) + 1


async def test_a_repeated_delivery_updates_slack_once(
    sandbox: SlackSandbox, pd: PagerDutyStandIn, hooked: Bot
) -> None:
    """PagerDuty delivers at least once: the same event delivered again (and twice more at
    the same moment) is answered 202 each time and shows once."""
    paged = await _declare_and_page(sandbox, pd, hooked)
    pd.act("PINC0001", "incident.acknowledged", user="PUSER01")
    first = (await pd.webhooks.wait_for(2))[-1]
    await sandbox.calls.wait_for("chat.postMessage", where=_in_thread(paged, "Ada Lovelace"))
    again = [pd.webhooks.post(first.body) for _ in range(3)]
    assert await asyncio.gather(*again) == [202, 202, 202]
    await hooked.idle()
    shown = [
        c for c in sandbox.calls.for_method("chat.postMessage") if "Ada Lovelace" in c.args["text"]
    ]
    assert len(shown) == 1
    assert len([t for t in _news(await _stored(hooked, paged)) if "Ada" in t]) == 1


async def test_news_of_an_incident_that_is_not_ours_is_acknowledged_and_ignored(
    sandbox: SlackSandbox, pd: PagerDutyStandIn, hooked: Bot
) -> None:
    """An incident PagerDuty opened from another integration (its key is not one of ours),
    or with our key's shape but no such incident, is answered 202, logged, and changes
    nothing in Slack."""
    await sandbox.people.say("<@U0BOT> hello")
    await hooked.idle()
    posts = sandbox.calls.count("chat.postMessage")
    now = datetime.now(UTC).isoformat()
    with capture_logs() as logs:
        for key in ("d3640fbd41094207a1c11e58e46b1662", "switchboard-inc-0f0f0f-checkout"):
            event = {
                "id": f"evt-{key[-6:]}",
                "event_type": "incident.acknowledged",
                "resource_type": "incident",
                "occurred_at": now,
                "agent": None,
                "data": {"id": "PX", "type": "incident", "incident_key": key, "number": 9},
            }
            assert await pd.webhooks.post(json.dumps({"event": event}).encode()) == 202
    outcomes = [e["outcome"] for e in logs if e["event"] == "pagerduty_webhook"]
    assert outcomes == ["unknown_incident", "unknown_incident"]
    assert sandbox.calls.count("chat.postMessage") == posts


async def test_stale_malformed_and_unhandled_deliveries(
    sandbox: SlackSandbox, pd: PagerDutyStandIn, hooked: Bot
) -> None:
    """Signed but replayed from long ago (older than max_age) or dated in the future: 400.
    Signed but no V3 payload: 400. A service event (not an incident's): 202, ignored."""
    old = datetime.now(UTC) - timedelta(hours=2)
    future = datetime.now(UTC) + timedelta(hours=1)
    for moment in (old, future):
        event = {
            "id": f"evt-{moment:%H%M%S}",
            "event_type": "incident.acknowledged",
            "resource_type": "incident",
            "occurred_at": moment.isoformat(),
            "data": {"incident_key": "switchboard-inc-1-checkout"},
        }
        assert await pd.webhooks.post(json.dumps({"event": event}).encode()) == 400
    for body in (b"not json", b'{"event": {"id": "x"}}', b"[]", "\xff".encode("latin-1")):
        assert await pd.webhooks.post(body) == 400
    service = {
        "id": "evt-svc",
        "event_type": "service.updated",
        "resource_type": "service",
        "occurred_at": datetime.now(UTC).isoformat(),
        "data": {"id": "PSVC001", "type": "service"},
    }
    assert await pd.webhooks.post(json.dumps({"event": service}).encode()) == 202


async def test_either_secret_verifies_while_one_is_rotated(
    sandbox: SlackSandbox, database_url: str, pd: PagerDutyStandIn
) -> None:
    """With two secrets configured (rotation), a delivery signed by PagerDuty with the new
    secret only, or with both, is authentic; one signed with neither is not."""
    async with running_bot(
        sandbox,
        database_url,
        config=pagerduty_config(
            pd, webhook_secrets=("PD_WEBHOOK_SECRET", "PD_WEBHOOK_SECRET_NEXT")
        ),
        environ=pagerduty_environ(pd),
    ) as bot:
        pd.webhooks.subscribe(f"{bot.url}{PAGERDUTY_WEBHOOK_PATH}", [SECRET])
        body = json.dumps(
            {
                "event": {
                    "id": "e",
                    "event_type": "service.updated",
                    "resource_type": "service",
                    "occurred_at": datetime.now(UTC).isoformat(),
                }
            }
        ).encode()
        nxt = WEBHOOK_SECRETS["PD_WEBHOOK_SECRET_NEXT"]
        assert await pd.webhooks.post(body, signature=signature_of(body, [nxt])) == 202
        both = signature_of(body, ["old-retired", nxt])
        assert await pd.webhooks.post(body, signature=both) == 202
        assert await pd.webhooks.post(body, signature=signature_of(body, ["x", "y"])) == 401
