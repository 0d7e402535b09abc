"""Failures around a turn: Slack errors, a broken database; nothing silent, nothing doubled."""

from __future__ import annotations

import sqlalchemy as sa
from structlog.testing import capture_logs

from sandbox import Fault, SlackSandbox
from tests.e2e.conftest import Bot


async def _event_status(bot: Bot) -> list[tuple[str, int]]:
    async with bot.runtime.database.engine.connect() as conn:
        rows = await conn.execute(sa.text("SELECT status, attempts FROM events"))
        return [(str(r[0]), int(r[1])) for r in rows]


async def test_server_error_is_retried_and_the_reply_arrives_once(
    sandbox: SlackSandbox, bot: Bot
) -> None:
    """chat.postMessage answers 503 once: the SDK retries and the thread gets one reply."""
    sandbox.faults.inject("chat.postMessage", Fault(kind="status", status=503))
    sent = await sandbox.people.say("<@U0BOT> help")
    await sandbox.calls.wait_for("chat.postMessage", where=lambda c: c.status == 200)
    await bot.idle()
    assert [c.status for c in sandbox.calls.for_method("chat.postMessage")] == [503, 200]
    assert (
        len([m for m in sandbox.workspace.store.thread("C0GENERAL", sent.ts) if m.get("bot_id")])
        == 1
    )
    assert await _event_status(bot) == [("done", 1)]


async def test_permanent_slack_error_marks_the_delivery_failed(
    sandbox: SlackSandbox, bot: Bot
) -> None:
    """channel_not_found cannot be fixed by retrying: logged, marked failed, not retried."""
    sandbox.faults.inject(
        "chat.postMessage", Fault(kind="status", status=200, error="channel_not_found")
    )
    with capture_logs() as logs:
        await sandbox.people.say("<@U0BOT> help")
        await sandbox.calls.wait_for("chat.postMessage")
        await bot.idle()
    failed = [e for e in logs if e["event"] == "reply_failed"]
    assert failed and failed[0]["error"] == "channel_not_found" and failed[0]["permanent"] is True
    assert sandbox.calls.count("chat.postMessage") == 1
    assert await _event_status(bot) == [("failed", 1)]


async def test_transient_failure_is_kept_and_tried_again(sandbox: SlackSandbox, bot: Bot) -> None:
    """A post still failing after the client's retries stays claimed and owed: this process
    tries it again (the recovery sweep leaves it alone meanwhile), looks before posting
    again, and delivers it once."""
    sandbox.faults.inject("chat.postMessage", Fault(kind="status", status=500, times=3))
    sent = await sandbox.people.say("<@U0BOT> help")
    await sandbox.calls.wait_for("chat.postMessage", count=3)
    far_future = bot.runtime.clock.now().replace(year=2100)
    assert await bot.runtime.runner.recover(claimed_before=far_future) == 0  # owed here
    await sandbox.calls.wait_for("chat.postMessage", where=lambda c: c.status == 200, timeout=10)
    await bot.idle()
    assert (
        len([m for m in sandbox.workspace.store.thread("C0GENERAL", sent.ts) if m.get("bot_id")])
        == 1
    )
    assert await _event_status(bot) == [("done", 2)]
    assert sandbox.calls.for_method("conversations.replies")  # looked before posting again


async def test_database_failure_on_the_ack_path_is_not_acked(
    sandbox: SlackSandbox, bot: Bot
) -> None:
    """If the claim cannot be written, Slack gets a 5xx (so it retries) and nothing is posted."""
    async with bot.runtime.database.engine.begin() as conn:
        await conn.execute(sa.text("DROP TABLE events"))
    delivery = await sandbox.driver.send_event(
        {
            "type": "app_mention",
            "user": "U0ALICE",
            "text": "<@U0BOT> help",
            "ts": "1700000000.000300",
            "channel": "C0GENERAL",
        }
    )
    assert delivery.status is not None and delivery.status >= 500
    await bot.idle()
    assert sandbox.calls.for_method("chat.postMessage") == []
