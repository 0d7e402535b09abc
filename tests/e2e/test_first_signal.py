"""Time to first visible signal: each watched turn is timed once, at the first thing its
sender sees (the status line, else the posted answer), into
``switchboard_first_signal_seconds``."""

from __future__ import annotations

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from sandbox import Fault, SlackSandbox
from tests.e2e.conftest import Bot, running_bot


async def _signal(bot: Bot) -> tuple[float, float]:
    """The histogram's count and sum."""
    async with aiohttp.ClientSession() as http, http.get(f"{bot.url}/metrics") as response:
        body = await response.text()
    samples = {
        sample.name: sample.value
        for family in text_string_to_metric_families(body)
        if family.name == "switchboard_first_signal_seconds"
        for sample in family.samples
    }
    return samples["switchboard_first_signal_seconds_count"], samples[
        "switchboard_first_signal_seconds_sum"
    ]


async def _ask(sandbox: SlackSandbox, bot: Bot) -> None:
    sent = await sandbox.people.say("<@U0BOT> help")
    await sandbox.calls.wait_for(
        "chat.postMessage", where=lambda c: c.args.get("thread_ts") == sent.ts, timeout=10
    )
    await bot.idle()


async def test_the_status_line_or_else_the_answer_is_the_first_signal_once_per_turn(
    sandbox: SlackSandbox, database_url: str
) -> None:
    """A turn whose status shows is timed at the status (not again at its answer); one whose
    status Slack refuses is timed at its answer; a bot that was not asked times nothing.
    (The status shows at once here: ``status_after=0``.)"""
    async with running_bot(sandbox, database_url, live_status=True, status_after=0) as bot:
        assert await _signal(bot) == (0, 0)
        await _ask(sandbox, bot)
        count, total = await _signal(bot)
        assert count == 1 and 0 < total < 10
        status = sandbox.calls.for_method("assistant.threads.setStatus")
        assert status and status[0].status == 200
        sandbox.faults.inject("assistant.threads.setStatus", Fault.api_error("not_allowed"))
        await _ask(sandbox, bot)
        count, total = await _signal(bot)
        assert count == 2 and 0 < total < 20


async def test_a_turn_answered_before_status_after_shows_no_status_its_reply_is_the_signal(
    sandbox: SlackSandbox, database_url: str
) -> None:
    """By default a quick turn (``help``, the rules planner) sends no status and no agent
    session call: its reply, posted without waiting for them, is its first signal, timed
    once."""
    async with running_bot(sandbox, database_url, live_status=True) as bot:
        await _ask(sandbox, bot)
        count, total = await _signal(bot)
        assert count == 1 and 0 < total < 10
        assert sandbox.calls.for_method("assistant.threads.setStatus") == []
        assert sandbox.calls.for_method("agents.sessions.setStatus") == []
        assert sandbox.calls.count("chat.postMessage") == 1
