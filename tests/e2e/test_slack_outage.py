"""Slack down, or limiting: every reply is kept and delivered once Slack is back, once each, in
order within a conversation; a late one says so; a 429's window holds for every caller."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
import sqlalchemy as sa

from sandbox import ApiCall, Fault, SlackSandbox, humans
from tests.e2e.conftest import Bot, running_bot

MENTION = "<@U0BOT>"


def _replies(sandbox: SlackSandbox, thread_ts: str | None = None) -> list[ApiCall]:
    """The turn replies Slack accepted (in a thread, or anywhere)."""
    return [
        c
        for c in sandbox.calls.for_method("chat.postMessage")
        if c.status == 200
        and c.response.get("ok")
        and (c.args.get("metadata") or {}).get("event_type") == "switchboard_turn"
        and (thread_ts is None or c.args.get("thread_ts") == thread_ts)
    ]


async def _statuses(bot: Bot) -> list[str]:
    async with bot.runtime.database.engine.connect() as conn:
        rows = await conn.execute(sa.text("SELECT status FROM events ORDER BY id"))
        return [str(r[0]) for r in rows]


@pytest.fixture
async def patient_bot(sandbox: SlackSandbox, database_url: str) -> AsyncIterator[Bot]:
    """The bot retrying refused replies quickly, and calling a reply late after 1 s."""
    async with running_bot(
        sandbox, database_url, first_retry=0.05, late_after=timedelta(seconds=1)
    ) as bot:
        yield bot


async def test_replies_refused_for_seconds_arrive_once_each_as_soon_as_slack_is_back(
    sandbox: SlackSandbox, patient_bot: Bot
) -> None:
    """Slack answers 503 to every post for 5 s (longer than the client's own retries of one
    call): every mention is acked; the refused replies are kept and tried on a backoff
    instead of hammering; when Slack is back every reply is posted within seconds, once, and
    says it is late."""
    sandbox.faults.outage(Fault.server_error(503), methods=["chat.postMessage"])
    sent = [await sandbox.people.say(f"{MENTION} help {i}") for i in range(5)]
    assert all(d.acked for s in sent for d in s.deliveries)
    await asyncio.sleep(5)
    during = sandbox.calls.count("chat.postMessage")
    assert during <= 5 * 3 * 6  # each reply: a few tries on a backoff, 3 requests a try
    sandbox.faults.end_outage()
    back = time.monotonic()
    for s in sent:
        await sandbox.calls.wait_for(
            "chat.postMessage",
            where=lambda c, ts=s.ts: c.args.get("thread_ts") == ts and c.status == 200,
            timeout=15,
        )
    drained = time.monotonic() - back
    await patient_bot.idle()
    assert drained < 10
    for s in sent:
        (reply,) = _replies(sandbox, s.ts)  # once each
        assert "late: Slack could not be reached" in str(reply.args["blocks"])
    assert await _statuses(patient_bot) == ["done"] * 5
    assert patient_bot.runtime.runner.owed == 0


async def test_a_reply_refused_more_often_than_the_attempt_limit_is_still_delivered(
    sandbox: SlackSandbox, patient_bot: Bot
) -> None:
    """Seven refusals (``ok: false``, a transient error) in a row, more than the five
    attempts a crashing turn gets: the stored reply is still owed, and delivered once."""
    sandbox.faults.inject("chat.postMessage", Fault.api_error("internal_error", times=7))
    sent = await sandbox.people.say(f"{MENTION} help")
    await sandbox.calls.wait_for(
        "chat.postMessage",
        where=lambda c: c.args.get("thread_ts") == sent.ts and c.status == 200 and c.response["ok"],
        timeout=20,
    )
    await patient_bot.idle()
    assert len(_replies(sandbox, sent.ts)) == 1
    assert await _statuses(patient_bot) == ["done"]
    async with patient_bot.runtime.database.engine.connect() as conn:
        attempts = (await conn.execute(sa.text("SELECT attempts FROM events"))).scalar_one()
    assert attempts > 5


async def test_replies_in_one_conversation_arrive_in_the_order_of_their_messages(
    sandbox: SlackSandbox, patient_bot: Bot
) -> None:
    """Three DMs while Slack refuses posts: once it is back, the replies come in order."""
    sandbox.faults.outage(Fault.dropped(), methods=["chat.postMessage"])
    texts = ["help one", "help two", "help three"]
    for text in texts:
        await sandbox.people.say(text, channel="D0ALICE")
    await asyncio.sleep(1.5)
    sandbox.faults.end_outage()
    for count in range(1, 4):
        await sandbox.calls.wait_for(
            "chat.postMessage",
            where=lambda c: c.args.get("channel") == "D0ALICE" and c.status == 200,
            count=count,
            timeout=15,
        )
    await patient_bot.idle()
    replies = [c for c in _replies(sandbox) if c.args.get("channel") == "D0ALICE"]
    assert len(replies) == 3
    async with patient_bot.runtime.database.engine.connect() as conn:
        rows = await conn.execute(sa.text("SELECT trace_id FROM events ORDER BY id"))
        asked = [str(r[0]) for r in rows]  # in the order the messages came
    answered = [r.args["metadata"]["event_payload"]["trace_id"] for r in replies]
    assert answered == asked


async def test_a_rate_limit_window_holds_for_every_call_of_the_method(
    sandbox: SlackSandbox, patient_bot: Bot
) -> None:
    """One 429 with Retry-After 2: the bot's other replies wait the window out instead of
    calling inside it (which would prolong Slack's limit); all arrive once."""
    sandbox.faults.inject("chat.postMessage", Fault.rate_limited(retry_after=2))
    sent = [await sandbox.people.say(f"{MENTION} help {i}") for i in range(6)]
    for s in sent:
        await sandbox.calls.wait_for(
            "chat.postMessage",
            where=lambda c, ts=s.ts: c.args.get("thread_ts") == ts and c.status == 200,
            timeout=15,
        )
    await patient_bot.idle()
    calls = sandbox.calls.for_method("chat.postMessage")
    limited = next(c for c in calls if c.status == 429)
    inside = [c for c in calls if limited.at < c.at < limited.at + 1.9]
    assert inside == []  # nobody called inside the window
    assert all(len(_replies(sandbox, s.ts)) == 1 for s in sent)


async def test_a_reply_slack_stored_but_never_answered_is_found_not_posted_again(
    sandbox: SlackSandbox, patient_bot: Bot
) -> None:
    """Slack stores the reply, then the connection drops before its answer (chaos seed 2):
    the bot does not post it again blindly; its retry finds the stored reply by its trace id
    and posts nothing more. One reply."""
    sandbox.faults.inject("chat.postMessage", Fault.lost_response())
    sent = await sandbox.people.say(f"{MENTION} help")
    await sandbox.calls.wait_for(
        "chat.postMessage", where=lambda c: c.args.get("thread_ts") == sent.ts, timeout=10
    )
    assert sandbox.hangs.held == 1  # the stored post's answer is being held...
    sandbox.hangs.release()  # ...and now the connection drops without one
    await sandbox.calls.wait_for(
        "conversations.replies", where=lambda c: c.args.get("ts") == sent.ts, timeout=10
    )
    await patient_bot.idle()
    stored = sandbox.workspace.store.thread("C0GENERAL", sent.ts)
    assert len([m for m in stored if m.get("bot_id")]) == 1
    assert await _statuses(patient_bot) == ["done"]


async def test_a_message_a_fresh_process_cannot_authorize_is_refused_for_slack_to_retry(
    sandbox: SlackSandbox, patient_bot: Bot
) -> None:
    """A process that has not yet learned who it is (``auth.test``, e.g. just restarted) while
    Slack is down (chaos seed 35): the delivery is not acked (a 503, or no answer within
    Slack's 3 s while ``auth.test`` is retried), where Bolt acked it with an apology and
    dropped it; Slack's retry once it is back is answered, once."""
    sandbox.faults.outage(Fault.server_error(503))
    posted = humans.post(
        sandbox.workspace,
        text="help",
        user="U0ALICE",
        channel="D0ALICE",
        thread_ts=None,
        subscriptions=sandbox.driver.subscriptions,
    )
    (event,) = posted.events
    refused = await sandbox.driver.send_event(event)
    assert not refused.acked and refused.status in {503, None}
    sandbox.faults.end_outage()
    retried = await sandbox.driver.send_event(event, event_id=refused.event_id, retry_num=1)
    assert retried.acked
    await sandbox.calls.wait_for(
        "chat.postMessage", where=lambda c: c.args.get("channel") == "D0ALICE", timeout=10
    )
    await patient_bot.idle()
    assert len([c for c in _replies(sandbox) if c.args.get("channel") == "D0ALICE"]) == 1
