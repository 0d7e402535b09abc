"""One message end to end: Slack delivers, the bot acks, claims, routes, answers, stores."""

from __future__ import annotations

import aiohttp
import sqlalchemy as sa
import structlog
from structlog.testing import capture_logs

from agents.kernel.models import ConversationKey
from sandbox import ApiCall, Fault, SlackSandbox
from tests.e2e.conftest import Bot

BOT_MENTION = "<@U0BOT>"


def _trace_id(call: ApiCall) -> str:
    metadata = call.args["metadata"]
    assert metadata["event_type"] == "switchboard_turn"
    return str(metadata["event_payload"]["trace_id"])


async def _count(bot: Bot, table: str) -> int:
    async with bot.runtime.database.engine.connect() as conn:
        return int((await conn.execute(sa.text(f"SELECT count(*) FROM {table}"))).scalar_one())  # noqa: S608


async def test_mention_gets_threaded_help_reply_and_is_stored(
    sandbox: SlackSandbox, bot: Bot
) -> None:
    """@switchboard help: help text in the mention's thread; turn and messages stored."""
    sent = await sandbox.people.say(f"{BOT_MENTION} help")
    assert all(d.acked for d in sent.deliveries)
    call = await sandbox.calls.wait_for("chat.postMessage")
    assert call.args["channel"] == "C0GENERAL"
    assert call.args["thread_ts"] == sent.ts
    assert "help" in call.args["text"] and "Lists what Switchboard can do" in call.args["text"]
    assert any(b["type"] == "header" for b in call.args["blocks"])
    await bot.idle()
    trace = await bot.runtime.database.traces.get(_trace_id(call))
    assert trace is not None
    assert (trace.agent, trace.route_reason, trace.source, trace.outcome) == (
        "help",
        "keyword",
        "mention",
        "replied",
    )
    assert trace.delivered_at is not None
    stored = await bot.runtime.database.conversations.messages(
        ConversationKey("T0SANDBOX", "C0GENERAL", sent.ts), limit=10
    )
    assert (stored[0].direction, stored[0].text) == ("in", "help")
    assert stored[1].direction == "out" and stored[1].ts == call.response["ts"]
    assert sandbox.workspace.store.thread("C0GENERAL", sent.ts)[-1]["bot_id"] == "B0BOT"


async def test_direct_message_gets_a_reply(sandbox: SlackSandbox, bot: Bot) -> None:
    """A DM to the bot is answered in the DM."""
    await sandbox.people.say("what can you do?", channel="D0ALICE")
    call = await sandbox.calls.wait_for("chat.postMessage")
    assert call.args["channel"] == "D0ALICE"
    assert call.args.get("thread_ts") is None
    assert "Here is what I can do" in call.args["text"]


async def test_reply_in_a_thread_the_bot_is_part_of_is_answered(
    sandbox: SlackSandbox, bot: Bot
) -> None:
    """After the bot answered a thread, a plain reply there (no mention) is answered too."""
    sent = await sandbox.people.say(f"{BOT_MENTION} hello")
    await sandbox.calls.wait_for("chat.postMessage")
    await sandbox.people.say("and help please", thread_ts=sent.ts)
    second = await sandbox.calls.wait_for("chat.postMessage", count=2)
    assert second.args["thread_ts"] == sent.ts


async def test_threads_the_bot_is_not_part_of_are_ignored(sandbox: SlackSandbox, bot: Bot) -> None:
    """Chatter in channels and in other people's threads gets no reply and stores nothing."""
    parent = await sandbox.people.say("lunch?", user="U0BOB")
    await sandbox.people.say("yes", thread_ts=parent.ts)
    await bot.idle()
    assert sandbox.calls.for_method("chat.postMessage") == []
    assert await _count(bot, "events") == 0


async def test_slash_command_help_answers_ephemerally(sandbox: SlackSandbox, bot: Bot) -> None:
    """/ops help is acked at once and answered through response_url, visible to the asker."""
    delivery = await sandbox.people.run_command("/ops", "help")
    assert delivery.status == 200
    call = await sandbox.calls.wait_for("response_url")
    assert call.args["response_type"] == "ephemeral"
    assert "help" in call.args["text"]
    await bot.idle()
    assert await _count(bot, "traces") == 1


async def test_duplicate_delivery_gets_one_reply(sandbox: SlackSandbox, bot: Bot) -> None:
    """The same event_id delivered twice (a Slack retry) is answered once."""
    event = {
        "type": "app_mention",
        "user": "U0ALICE",
        "text": f"{BOT_MENTION} help",
        "ts": "1700000000.000100",
        "channel": "C0GENERAL",
    }
    first = await sandbox.driver.send_event(event, event_id="Ev0DUPLICATE")
    again = await sandbox.driver.send_event(event, event_id="Ev0DUPLICATE", retry_num=1)
    assert first.status == 200 and again.status == 200
    await sandbox.calls.wait_for("chat.postMessage")
    await bot.idle()
    assert sandbox.calls.count("chat.postMessage") == 1
    assert await _count(bot, "events") == 1


async def test_retry_of_an_unseen_event_is_processed(sandbox: SlackSandbox, bot: Bot) -> None:
    """A delivery marked as a retry whose first attempt never arrived is answered once."""
    event = {
        "type": "app_mention",
        "user": "U0ALICE",
        "text": f"{BOT_MENTION} help",
        "ts": "1700000000.000200",
        "channel": "C0GENERAL",
    }
    delivery = await sandbox.driver.send_event(event, event_id="Ev0RETRIED", retry_num=2)
    assert delivery.status == 200
    await sandbox.calls.wait_for("chat.postMessage")
    await bot.idle()
    assert sandbox.calls.count("chat.postMessage") == 1


async def test_rate_limited_post_is_retried_after_retry_after(
    sandbox: SlackSandbox, bot: Bot
) -> None:
    """chat.postMessage answers 429 Retry-After: 1 once: the reply still arrives, once."""
    sandbox.faults.inject("chat.postMessage", Fault(kind="status", status=429, retry_after=1))
    sent = await sandbox.people.say(f"{BOT_MENTION} help")
    ok = await sandbox.calls.wait_for("chat.postMessage", where=lambda c: c.status == 200)
    await bot.idle()
    statuses = [c.status for c in sandbox.calls.for_method("chat.postMessage")]
    assert statuses == [429, 200]
    assert ok.at - sandbox.calls.for_method("chat.postMessage")[0].at >= 0.9
    bot_posts = [m for m in sandbox.workspace.store.thread("C0GENERAL", sent.ts) if m.get("bot_id")]
    assert len(bot_posts) == 1


async def test_bot_messages_are_ignored(sandbox: SlackSandbox, bot: Bot) -> None:
    """The bot's own posts and other bots' posts, even in its threads, get no reply."""
    sent = await sandbox.people.say(f"{BOT_MENTION} help")
    await sandbox.calls.wait_for("chat.postMessage")
    for user, bot_id in (("U0BOT", "B0BOT"), ("U0OTHER", "B0OTHER")):
        await sandbox.driver.send_event(
            {
                "type": "message",
                "user": user,
                "bot_id": bot_id,
                "text": "a bot speaking",
                "ts": f"1700000001.00{len(bot_id)}",
                "thread_ts": sent.ts,
                "channel": "C0GENERAL",
                "channel_type": "channel",
            }
        )
    await bot.idle()
    assert sandbox.calls.count("chat.postMessage") == 1
    assert await _count(bot, "events") == 1


async def test_trace_id_is_in_logs_metadata_and_storage(sandbox: SlackSandbox, bot: Bot) -> None:
    """One trace id per turn: in its log lines, its reply's Slack metadata and its trace row."""
    with capture_logs(processors=[structlog.contextvars.merge_contextvars]) as logs:
        await sandbox.people.say(f"{BOT_MENTION} help")
        call = await sandbox.calls.wait_for("chat.postMessage")
        await bot.idle()
    trace_id = _trace_id(call)
    completed = [e for e in logs if e["event"] == "turn_completed"]
    assert completed and completed[0]["trace_id"] == trace_id
    routed = [e for e in logs if e["event"] == "turn_routed"]
    assert routed and routed[0]["trace_id"] == trace_id
    assert routed[0]["channel_id"] == "C0GENERAL" and routed[0]["user_id"] == "U0ALICE"
    summary = routed[0]  # the turn's one summary line: route, plan, actions, cost, latency
    assert {"route_reason", "planner", "tool_calls", "outcome", "total_ms"} <= summary.keys()
    assert {"input_tokens", "output_tokens", "cost_micros"} <= summary.keys()
    assert "text" not in summary  # no message body in the summary
    stored = await bot.runtime.database.traces.get(trace_id)
    assert stored is not None and stored.agent == summary["agent"]
    assert all(
        e["trace_id"] == trace_id for e in logs if e.get("trace_id") and "turn" in e["event"]
    )


async def test_health_endpoint_reports_database(sandbox: SlackSandbox, bot: Bot) -> None:
    """GET /healthz answers 200 with the database reachable."""
    async with aiohttp.ClientSession() as http, http.get(f"{bot.url}/healthz") as response:
        assert response.status == 200
        assert (await response.json())["database"] == "ok"
