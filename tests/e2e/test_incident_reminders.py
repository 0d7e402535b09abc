"""Status-update reminders through the real app and its worker, on a clock the test moves:
due per severity, once per interval, reset by a status update, kept across a restart,
stopped by resolve."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

from bot.config_file import parse_config
from sandbox import SlackSandbox
from tests.e2e.conftest import TEST_WORKER, MovableClock, running_bot
from tests.e2e.incident_steps import CONFIG, ask, declare

REMINDING = CONFIG.replace(
    "incidents: {oncall_rotation: primary}",
    "incidents: {oncall_rotation: primary, update_intervals: {sev1: 30m}}",
)
SWEEPING = replace(TEST_WORKER, reminder_interval=0.05)


def _reminding(sandbox: SlackSandbox, database_url: str, clock: MovableClock) -> Any:
    """The bot with sev1 reminders every 30 minutes, swept every 50 ms, on ``clock``."""
    config = parse_config(REMINDING)
    return running_bot(sandbox, database_url, config=config, clock=clock, worker=SWEEPING)


def _reminders(sandbox: SlackSandbox, channel: str) -> int:
    return sum(
        1
        for c in sandbox.calls.for_method("chat.postMessage")
        if c.args["channel"] == channel and "no status update" in str(c.args.get("text"))
    )


async def test_a_quiet_incident_reminds_its_lead_once_per_interval(
    sandbox: SlackSandbox, database_url: str
) -> None:
    """30 minutes without a status update: one reminder naming the lead; more sweeps at the
    same time add none; a status update restarts the count; resolve ends reminders."""
    clock = MovableClock()
    async with _reminding(sandbox, database_url, clock) as bot:
        incident = await declare(sandbox)
        await sandbox.people.click(
            incident.card_ts, "incident_take_lead", user="U0BOB", channel=incident.channel
        )
        await sandbox.calls.wait_for("chat.update")
        reminders = bot.runtime.domain.incidents.reminders
        assert await reminders.remind_due() == 0  # not due yet

        clock.offset = timedelta(minutes=31)
        reminded = await sandbox.calls.wait_for(
            "chat.postMessage",
            where=lambda c: "no status update" in str(c.args.get("text")),
        )
        assert reminded.args["channel"] == incident.channel
        assert reminded.args["text"].startswith("<@U0BOB> no status update on *Checkout is down*")
        assert await reminders.remind_due() == 0  # once per interval, however many sweeps

        await ask(sandbox, incident.channel, "status monitoring", user="U0BOB")
        clock.offset = timedelta(minutes=55)  # 24 minutes after the update: not due
        assert await reminders.remind_due() == 0
        clock.offset = timedelta(minutes=62)
        await sandbox.calls.wait_for(
            "chat.postMessage",
            where=lambda c: "no status update" in str(c.args.get("text")),
            count=2,
        )
        await ask(sandbox, incident.channel, "resolve", user="U0BOB")
        clock.offset = timedelta(hours=5)
        assert await reminders.remind_due() == 0
        await bot.idle()
    assert _reminders(sandbox, incident.channel) == 2


async def test_a_reminder_is_not_repeated_after_a_restart_and_no_lead_asks_the_channel(
    sandbox: SlackSandbox, database_url: str
) -> None:
    """Reminded, then the bot restarts at the same moment: the new process does not remind
    again (the time is stored); with no lead the reminder asks the channel to take it."""
    clock = MovableClock()
    async with _reminding(sandbox, database_url, clock) as bot:
        incident = await declare(sandbox)
        clock.offset = timedelta(minutes=40)
        reminded = await sandbox.calls.wait_for(
            "chat.postMessage", where=lambda c: "no status update" in str(c.args.get("text"))
        )
        await bot.idle()
    assert reminded.args["text"].startswith("<!here> (no lead yet")
    assert "for 40m" in reminded.args["text"]
    async with _reminding(sandbox, database_url, clock) as bot:
        assert await bot.runtime.domain.incidents.reminders.remind_due() == 0
    assert _reminders(sandbox, incident.channel) == 1


async def test_a_severity_without_an_interval_is_never_reminded(
    sandbox: SlackSandbox, database_url: str
) -> None:
    """sev3 has no interval: hours of silence, no reminder."""
    clock = MovableClock()
    async with _reminding(sandbox, database_url, clock) as bot:
        incident = await declare(sandbox, "sev3 Slow admin page")
        clock.offset = timedelta(hours=6)
        assert await bot.runtime.domain.incidents.reminders.remind_due() == 0
    assert _reminders(sandbox, incident.channel) == 0
