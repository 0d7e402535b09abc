"""PagerDuty through the real app, the sandbox's Slack and PagerDuty stand-ins, the database and
the worker: on-call answered from PagerDuty (and its failures answered clearly), its people
matched to Slack users by email, and paging from an incident behind approval, sent once with
a stable dedup key."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from structlog.testing import capture_logs

from handlers.approval_blocks import APPROVE_ACTION
from sandbox import ApiCall, SlackSandbox
from sandbox.faults import Fault
from sandbox.pagerduty_api import PagerDutyStandIn
from sandbox.pagerduty_data import USERS, email_of
from tests.e2e.conftest import Bot, running_bot
from tests.e2e.incident_steps import card_blocks_text
from tests.e2e.pagerduty_config import (
    on_call_now,
    pagerduty_bot,
    pagerduty_config,
    pagerduty_environ,
)


@pytest.fixture
async def pd_bot(
    sandbox: SlackSandbox, database_url: str, pd: PagerDutyStandIn
) -> AsyncIterator[Bot]:
    async with pagerduty_bot(sandbox, database_url, pd) as bot:
        yield bot


async def _ask(sandbox: SlackSandbox, text: str, *, user: str = "U0ALICE", **where: str) -> ApiCall:
    """Say ``text`` to the bot; the next message it posts."""
    before = sandbox.calls.count("chat.postMessage")
    await sandbox.people.say(f"<@U0BOT> {text}", user=user, **where)
    return await sandbox.calls.wait_for("chat.postMessage", count=before + 1)


async def _succeeded(sandbox: SlackSandbox) -> ApiCall:
    return await sandbox.calls.wait_for(
        "chat.update", where=lambda c: "Succeeded" in str(c.args["blocks"]), timeout=10
    )


def _finished(call: ApiCall) -> bool:
    """The thread's note that a run ended."""
    metadata = call.args.get("metadata") or {}
    return metadata.get("event_payload", {}).get("state") in ("succeeded", "failed")


async def test_who_is_on_call_for_a_service_comes_from_pagerduty(
    sandbox: SlackSandbox, pd: PagerDutyStandIn, pd_bot: Bot
) -> None:
    """`who is on call for checkout?` names the escalation policy, each level's person, until
    when, and who is next, as PagerDuty says (service → escalation policy → on-calls)."""
    answer = await _ask(sandbox, "oncall: who is on call for checkout?")
    await pd_bot.idle()
    shown = str(answer.args["blocks"])
    now, after = on_call_now()
    assert answer.args["metadata"]["event_payload"]["agent"] == "oncall"
    assert "checkout · PagerDuty escalation policy Checkout escalation" in shown
    assert f"Level 1 (Checkout primary): {now} until " in shown and f", then {after}" in shown
    assert "Level 2: Edsger Dijkstra (always on call at this level)" in shown
    assert [path for path, _ in pd.requests] == ["/services/PSVC001", "/oncalls"]


async def test_a_refused_token_is_answered_clearly_and_never_shown(
    sandbox: SlackSandbox, database_url: str, pd: PagerDutyStandIn
) -> None:
    """PagerDuty answers 401: the person is told the credentials were refused and whom to
    ask; the token appears in no reply and no log line."""
    wrong = "wrong-token-" + pd.token
    with capture_logs() as logs:
        async with running_bot(
            sandbox,
            database_url,
            config=pagerduty_config(pd),
            environ=pagerduty_environ(pd),
            settings={"PAGERDUTY_API_TOKEN": wrong},
        ) as bot:
            answer = await _ask(sandbox, "oncall: who is on call for checkout?")
            await bot.idle()
    shown = str(answer.args["blocks"])
    assert "did not accept Switchboard's credentials" in shown and "PAGERDUTY_API_TOKEN" in shown
    assert pd.requests == [("/services/PSVC001", 401)]  # a refusal is not retried
    assert wrong not in shown and not any(wrong in str(entry) for entry in logs)


async def test_rate_limited_beyond_the_budget_says_how_long(
    sandbox: SlackSandbox, pd: PagerDutyStandIn, pd_bot: Bot
) -> None:
    """A 429 whose Retry-After is beyond the retry budget is not waited for: the answer says
    PagerDuty is rate limiting and for how long, at once."""
    pd.fail_next(429, retry_after=120)
    answer = await _ask(sandbox, "oncall: who is on call for checkout?")
    await pd_bot.idle()
    shown = str(answer.args["blocks"])
    assert "rate limiting us (HTTP 429); it asks to wait 120s" in shown
    assert "Try again in a minute" in shown
    assert pd.requests == [("/services/PSVC001", 429)]


async def test_a_short_retry_after_is_waited_and_the_answer_comes(
    sandbox: SlackSandbox, pd: PagerDutyStandIn, pd_bot: Bot
) -> None:
    """A 429 with a Retry-After of one second is honoured and the read tried again."""
    pd.fail_next(429, retry_after=1)
    answer = await _ask(sandbox, "oncall: who is on call for checkout?")
    await pd_bot.idle()
    assert f"Level 1 (Checkout primary): {on_call_now()[0]}" in str(answer.args["blocks"])
    assert [s for _, s in pd.requests] == [429, 200, 200]


async def test_a_pagerduty_that_does_not_answer_in_time_is_said_so(
    sandbox: SlackSandbox, database_url: str, pd: PagerDutyStandIn
) -> None:
    """Every attempt times out: the answer says PagerDuty did not answer within the timeout;
    the rotation-less bot does not guess."""
    pd.delay_next(1.0, times=3)
    async with running_bot(
        sandbox,
        database_url,
        config=pagerduty_config(pd, timeout="250ms"),
        environ=pagerduty_environ(pd),
        settings={"PAGERDUTY_API_TOKEN": pd.token},
    ) as bot:
        answer = await _ask(sandbox, "oncall: who is on call for checkout?")
        await bot.idle()
    shown = str(answer.args["blocks"])
    assert "PagerDuty did not answer within 0.25s" in shown
    assert "Lovelace" not in shown and "Hopper" not in shown


async def test_declare_pages_behind_approval_once_and_links_the_incident(
    sandbox: SlackSandbox, pd: PagerDutyStandIn, pd_bot: Bot
) -> None:
    """`declare sev1 … service=checkout`: the incident channel's summary names the page and
    its dedup key; the declaring thread gets the trigger's approval card. The requester cannot
    approve it; Bob can, and exactly one trigger reaches PagerDuty with the stable dedup key
    (a double click changes nothing); the thread then links the PagerDuty incident, and so
    does the incident channel's card."""
    await sandbox.people.say("<@U0BOT> incident: declare sev1 Checkout down service=checkout")
    card = await sandbox.calls.wait_for(
        "chat.postMessage", where=lambda c: c.args["channel"] == "C0GENERAL"
    )
    created = await sandbox.calls.wait_for("conversations.create")
    assert created.args["name"].endswith("-checkout-down")  # service=… is not in the title
    channel = created.response["channel"]["id"]
    summary = await sandbox.calls.wait_for(
        "chat.postMessage", where=lambda c: c.args["channel"] == channel
    )
    key = f"switchboard-inc-{card.args['metadata']['event_payload']['trace_id']}-checkout"
    assert "PagerDuty" in str(summary.args["blocks"]) and key in str(summary.args["blocks"])
    shown = str(card.args["blocks"])
    assert "pagerduty_trigger" in shown and "PagerDuty event `trigger`" in shown
    assert key in shown and "[sev1] Checkout down" in shown and "critical" in shown
    assert "Declared *Checkout down* (sev1)" in shown
    assert pd.events == []

    await sandbox.people.click(card.response["ts"], APPROVE_ACTION, user="U0ALICE")
    refusal = await sandbox.calls.wait_for(
        "chat.postEphemeral", where=lambda c: c.args["user"] == "U0ALICE"
    )
    assert "approve" in refusal.args["text"]
    assert pd.events == []

    ts = card.response["ts"]
    await asyncio.gather(*(sandbox.people.click(ts, APPROVE_ACTION, user="U0BOB") for _ in "12"))
    await _succeeded(sandbox)
    await pd_bot.idle()
    [event] = pd.events
    assert event.event_action == "trigger" and event.dedup_key == key
    assert event.payload == {
        "summary": "[sev1] Checkout down",
        "source": "switchboard",
        "severity": "critical",
    }
    link = "https://example.pagerduty.com/incidents/PINC0001"
    told = await sandbox.calls.wait_for(
        "chat.postMessage",
        where=lambda c: link in str(c.args) and c.args.get("thread_ts") == card.args["thread_ts"],
    )
    assert key in str(told.args)
    # The incident channel's card is edited too (no webhooks configured here): the
    # service's PagerDuty status, linked, and a line in the card's thread.
    ts = summary.response["ts"]
    redrawn = await sandbox.calls.wait_for(
        "chat.update", where=lambda c: c.args["ts"] == ts and link in str(c.args["blocks"])
    )
    assert f"`checkout` <{link}|triggered>" in str(redrawn.args["blocks"])
    await sandbox.calls.wait_for(
        "chat.postMessage",
        where=lambda c: c.args.get("thread_ts") == ts and "checkout triggered" in c.args["text"],
    )


async def test_resolving_offers_to_resolve_pagerduty_and_it_runs_behind_approval(
    sandbox: SlackSandbox, pd: PagerDutyStandIn, pd_bot: Bot
) -> None:
    """Paged from the incident's channel, acknowledged, then resolved in Slack: the resolve
    answer offers `page resolve checkout`; that request needs approval too, and once
    approved the same dedup key resolves PagerDuty's incident."""
    await sandbox.people.say("<@U0BOT> incident: declare sev2 Payments slow")
    await sandbox.calls.wait_for("chat.postMessage", where=lambda c: "Declared" in c.args["text"])
    channel = (await sandbox.calls.wait_for("conversations.create")).response["channel"]["id"]

    async def approved(text: str) -> None:
        """Ask for ``text``, Bob approves its card; returns once the run's note is posted."""
        card = await _ask(sandbox, f"incident: {text}", channel=channel)
        done = sum(map(_finished, sandbox.calls.for_method("chat.postMessage"))) + 1
        ts = card.response["ts"]
        await sandbox.people.click(ts, APPROVE_ACTION, user="U0BOB", channel=channel)
        await sandbox.calls.wait_for("chat.postMessage", where=_finished, count=done, timeout=10)

    await approved("page checkout")
    await approved("page ack")
    offer = await _ask(sandbox, "incident: resolve cache flushed", channel=channel)
    assert "`incident: page resolve checkout` (needs approval)" in offer.args["text"]
    await approved("page resolve")
    await pd_bot.idle()
    assert [e.event_action for e in pd.events] == ["trigger", "acknowledge", "resolve"]
    assert len({e.dedup_key for e in pd.events}) == 1
    assert [i.status for i in pd.incidents] == ["resolved"]
    assert pd.events[0].payload["severity"] == "error"  # sev2


_IDS = {name: user_id for user_id, name in USERS.items()}


def _join_slack(sandbox: SlackSandbox, name: str, user_id: str) -> None:
    """The PagerDuty user called ``name`` has a Slack account (same email) as ``user_id``."""
    email = email_of(_IDS[name])
    sandbox.workspace.directory.add_user(user_id, name.split()[0].lower(), email=email)


async def test_the_on_call_answer_mentions_people_slack_knows_by_their_email(
    sandbox: SlackSandbox, pd: PagerDutyStandIn, pd_bot: Bot
) -> None:
    """Who is on call now has a Slack account with their PagerDuty email: a mention. The
    next person and level 2 have none: their names. A 429 on one lookup is waited out."""
    now, after = on_call_now()
    _join_slack(sandbox, now, "U0ONCALL")
    sandbox.faults.inject("users.lookupByEmail", Fault.rate_limited(retry_after=1))
    said = await sandbox.people.say("<@U0BOT> oncall: who is on call for checkout?")
    answer = await sandbox.calls.wait_for(
        "chat.postMessage", where=lambda c: c.args.get("thread_ts") == said.ts, timeout=10
    )
    await pd_bot.idle()
    shown = str(answer.args["blocks"])
    assert "Level 1 (Checkout primary): <@U0ONCALL> until " in shown
    assert f", then {after} until " in shown
    assert "Level 2: Edsger Dijkstra (always on call at this level)" in shown
    lookups = sandbox.calls.for_method("users.lookupByEmail")
    assert sorted({c.args["email"] for c in lookups}) == sorted(
        email_of(_IDS[n]) for n in (now, after, "Edsger Dijkstra")
    )
    assert any(c.response.get("error") == "users_not_found" for c in lookups)


async def test_declaring_for_a_service_invites_its_matched_on_call_person(
    sandbox: SlackSandbox, pd: PagerDutyStandIn, pd_bot: Bot
) -> None:
    """`declare … service=checkout`: PagerDuty's level-1 person for checkout, matched by
    email, is invited to the incident channel and is the card's on-call mention."""
    now, _ = on_call_now()
    _join_slack(sandbox, now, "U0ONCALL")
    await sandbox.people.say("<@U0BOT> incident: declare sev1 Checkout down service=checkout")
    created = await sandbox.calls.wait_for("conversations.create")
    channel = created.response["channel"]["id"]
    invite = await sandbox.calls.wait_for("conversations.invite")
    assert set(invite.args["users"].split(",")) == {"U0ALICE", "U0ONCALL"}
    card = await sandbox.calls.wait_for(
        "chat.postMessage", where=lambda c: c.args["channel"] == channel
    )
    assert "*On call*\\n<@U0ONCALL>" in card_blocks_text(card)
    await pd_bot.idle()


async def test_an_on_call_person_slack_does_not_know_is_named_not_invited(
    sandbox: SlackSandbox, pd: PagerDutyStandIn, pd_bot: Bot
) -> None:
    """Nobody in Slack has the on-call person's email: only the reporter is invited, the
    card names the person, and the declaration says why they were not invited."""
    now, _ = on_call_now()
    said = await sandbox.people.say(
        "<@U0BOT> incident: declare sev2 Checkout slow service=checkout"
    )
    created = await sandbox.calls.wait_for("conversations.create")
    channel = created.response["channel"]["id"]
    invite = await sandbox.calls.wait_for("conversations.invite")
    assert invite.args["users"] == "U0ALICE"
    card = await sandbox.calls.wait_for(
        "chat.postMessage", where=lambda c: c.args["channel"] == channel
    )
    assert f"*On call*\\n{now}" in card_blocks_text(card)
    answer = await sandbox.calls.wait_for(
        "chat.postMessage", where=lambda c: c.args.get("thread_ts") == said.ts
    )
    assert f"{now} is on call for `checkout` in PagerDuty" in str(answer.args)
    assert "were not invited" in str(answer.args)
    await pd_bot.idle()
