"""Paging from the incident's summary card through the real app: a button becomes the page
command a person would type, as the clicker, in the card's thread, behind the same approval;
the card then offers acknowledge and resolve. A click replayed on another message, from
another workspace, for a control the card no longer offers, or on a resolved incident is
refused privately and pages nobody."""

from __future__ import annotations

from typing import Any

from handlers.approval_blocks import APPROVE_ACTION
from sandbox import ApiCall, SlackSandbox, humans
from sandbox.pagerduty_api import PagerDutyStandIn
from tests.e2e.conftest import Bot
from tests.e2e.incident_steps import Declared, ask, declare
from tests.e2e.test_pagerduty import pd_bot  # noqa: F401 - the fixture, shared

PAGE_CHECKOUT = "incident_page:trigger:checkout"
ACK_CHECKOUT = "incident_page:acknowledge:checkout"


def _card(sandbox: SlackSandbox, incident: Declared) -> str:
    """The card's blocks as they are stored in Slack now."""
    stored = sandbox.workspace.store.get(incident.channel, incident.card_ts)
    assert stored is not None
    return str(stored["blocks"])


def _click(
    sandbox: SlackSandbox, incident: Declared, action_id: str, *, user: str = "U0CAROL"
) -> dict[str, Any]:
    return humans.click(
        sandbox.workspace,
        message_ts=incident.card_ts,
        action_id=action_id,
        user=user,
        channel=incident.channel,
    )


async def _clicked(
    sandbox: SlackSandbox, incident: Declared, action_id: str, action: str
) -> ApiCall:
    """Alice clicks a paging button on the card; the approval card for ``action`` answered
    in the card's thread."""
    await sandbox.people.click(
        incident.card_ts, action_id, user="U0ALICE", channel=incident.channel
    )
    return await sandbox.calls.wait_for(
        "chat.postMessage",
        where=lambda c: (
            c.args.get("thread_ts") == incident.card_ts and action in str(c.args.get("blocks"))
        ),
    )


async def test_a_page_button_asks_for_approval_in_the_card_thread_and_pages_once(
    sandbox: SlackSandbox,
    pd: PagerDutyStandIn,
    pd_bot: Bot,  # noqa: F811 - the shared fixture
) -> None:
    """The card offers "Page checkout" and "Page payments". Alice clicks "Page checkout":
    the trigger's approval card is answered in the card's thread; she may not approve her
    own page; Bob does, and PagerDuty gets one trigger with the incident's dedup key. The
    card then offers acknowledge and resolve for checkout, and a click on acknowledge is
    a second approval, sent with the same key."""
    incident = await declare(sandbox, "sev1 Checkout down")
    shown = _card(sandbox, incident)
    assert PAGE_CHECKOUT in shown and "incident_page:trigger:payments" in shown
    approval = await _clicked(sandbox, incident, PAGE_CHECKOUT, "pagerduty_trigger")
    await pd_bot.idle()
    assert "incident_page:acknowledge:checkout" in _card(sandbox, incident)
    assert PAGE_CHECKOUT not in _card(sandbox, incident)

    ts = approval.response["ts"]
    await sandbox.people.click(ts, APPROVE_ACTION, user="U0ALICE", channel=incident.channel)
    await sandbox.calls.wait_for("chat.postEphemeral", where=lambda c: c.args["user"] == "U0ALICE")
    assert pd.events == []
    await sandbox.people.click(ts, APPROVE_ACTION, user="U0BOB", channel=incident.channel)
    await sandbox.calls.wait_for(
        "chat.update", where=lambda c: "Succeeded" in str(c.args.get("blocks")), timeout=10
    )
    await pd_bot.idle()
    [trigger] = pd.events
    assert trigger.event_action == "trigger" and trigger.dedup_key.endswith("-checkout")

    ack = await _clicked(sandbox, incident, ACK_CHECKOUT, "pagerduty_acknowledge")
    await sandbox.people.click(
        ack.response["ts"], APPROVE_ACTION, user="U0BOB", channel=incident.channel
    )
    await pd.wait_for_arrivals(2)
    await pd_bot.idle()
    assert [e.event_action for e in pd.events] == ["trigger", "acknowledge"]
    assert len({e.dedup_key for e in pd.events}) == 1


async def test_paging_clicks_that_do_not_belong_are_refused_privately(
    sandbox: SlackSandbox,
    pd: PagerDutyStandIn,
    pd_bot: Bot,  # noqa: F811 - the shared fixture
) -> None:
    """A page button replayed on another message, a click from another workspace, an
    acknowledge of a service never paged, and any paging click once the incident is
    resolved: each is refused to the clicker only; no approval is asked, nothing paged."""
    incident = await declare(sandbox, "sev2 Payments slow")
    posts = sandbox.calls.count("chat.postMessage")

    elsewhere = await sandbox.people.say("a message", user="U0ALICE", channel=incident.channel)
    moved = _click(sandbox, incident, PAGE_CHECKOUT)
    moved["container"] = {**moved["container"], "message_ts": elsewhere.ts}
    foreign = _click(sandbox, incident, PAGE_CHECKOUT)
    foreign["team"] = {"id": "T0OTHER", "domain": "other"}
    foreign["user"] = {**foreign["user"], "team_id": "T0OTHER"}
    stale = _click(sandbox, incident, PAGE_CHECKOUT)
    stale["actions"] = [{**stale["actions"][0], "action_id": ACK_CHECKOUT}]
    for payload in (moved, foreign, stale):
        await sandbox.driver.send_interaction(payload)
    await sandbox.calls.wait_for(
        "chat.postMessage", where=lambda c: c.args["channel"] == "U0CAROL", count=3
    )
    told = [
        c.args["text"]
        for c in sandbox.calls.for_method("chat.postMessage")[posts:]
        if c.args["channel"] == "U0CAROL"
    ]
    assert sorted("out of date" in t for t in told) == [False, False, True]
    assert sum("not on an incident" in t for t in told) == 2

    page_first = _click(sandbox, incident, PAGE_CHECKOUT, user="U0ALICE")
    await ask(sandbox, incident.channel, "resolve it was the cache")
    await sandbox.driver.send_interaction(page_first)
    refused = await sandbox.calls.wait_for(
        "chat.postEphemeral", where=lambda c: "resolved already" in c.args["text"]
    )
    assert refused.args["user"] == "U0ALICE"
    await pd_bot.idle()
    assert PAGE_CHECKOUT not in _card(sandbox, incident)
    assert pd.events == []
    asked = [c for c in sandbox.calls.for_method("chat.postMessage") if "pagerduty_" in str(c.args)]
    assert asked == []
