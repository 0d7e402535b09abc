"""The incident timeline from 📌 reactions and pins, through the real app: the message
(author, time, text, permalink) is stored once however often its events arrive; other
reactions and other channels add nothing; removing the 📌 erases nothing."""

from __future__ import annotations

import asyncio
from collections.abc import MutableMapping
from datetime import UTC, datetime
from typing import Any

from structlog.testing import capture_logs

from agents.memory.copies import TOMBSTONE
from bot.config_file import parse_config
from sandbox import SlackSandbox
from tests.e2e.conftest import Bot, running_bot
from tests.e2e.incident_steps import CONFIG, declare
from tests.e2e.slack_edits import deleted, edited
from tests.storage.scan import rows_holding


async def _outcomes(logs: list[MutableMapping[str, Any]], count: int) -> list[str]:
    """The outcomes of the first ``count`` pin events handled (they run after Slack's ack,
    so they are awaited in a bounded poll of the log)."""
    for _ in range(500):
        found = [str(e["outcome"]) for e in logs if e["event"] == "incident_pin"]
        if len(found) >= count:
            return found
        await asyncio.sleep(0.01)
    raise AssertionError(f"{count} pin events expected, saw {logs!r}")


async def _pinned(bot: Bot, sandbox: SlackSandbox, channel: str) -> list[tuple[str, str]]:
    stored = await bot.runtime.database.incidents.by_channel(
        team_id=sandbox.workspace.directory.team_id, channel_id=channel
    )
    assert stored is not None
    return [(e.user_id, e.text) for e in stored.timeline if e.kind == "pinned"]


async def test_a_pushpin_puts_the_message_on_the_timeline_once(
    sandbox: SlackSandbox, database_url: str
) -> None:
    """Bob's message 📌-ed by Alice: on the timeline with Bob as author, its time and its
    permalink; the same event delivered again (Slack's retry) and a pin of the same message
    add nothing."""
    async with running_bot(sandbox, database_url, config=parse_config(CONFIG)) as bot:
        incident = await declare(sandbox)
        said = await sandbox.people.say(
            "failover to the replica started", user="U0BOB", channel=incident.channel
        )
        with capture_logs() as logs:
            delivery = await sandbox.people.react(said.ts, user="U0ALICE", channel=incident.channel)
            assert delivery is not None and delivery.status == 200
            assert await _outcomes(logs, 1) == ["added"]
        link = await sandbox.calls.wait_for("chat.getPermalink")
        assert link.args["message_ts"] == said.ts
        history = sandbox.calls.for_method("conversations.history")
        assert [c.args["latest"] for c in history] == [said.ts]
        first = await _pinned(bot, sandbox, incident.channel)
        event = sandbox.driver.deliveries[-1]
        assert event.event_id is not None
        # Slack's retry of the same event, then a pin of the same message.
        reaction = {
            "type": "reaction_added",
            "user": "U0ALICE",
            "reaction": "pushpin",
            "item_user": "U0BOB",
            "item": {"type": "message", "channel": incident.channel, "ts": said.ts},
            "event_ts": said.ts,
        }
        with capture_logs() as logs:
            await sandbox.driver.send_event(reaction, event_id=event.event_id, retry_num=1)
            await sandbox.driver.send_event(reaction)
            await sandbox.people.pin(said.ts, user="U0BOB", channel=incident.channel)
            assert await _outcomes(logs, 3) == ["duplicate"] * 3
        again = await _pinned(bot, sandbox, incident.channel)
        stored = await bot.runtime.database.incidents.by_channel(
            team_id=sandbox.workspace.directory.team_id, channel_id=incident.channel
        )
    assert first == again == [("U0BOB", "failover to the replica started")]
    assert sandbox.calls.count("chat.getPermalink") == 1
    assert stored is not None
    (entry,) = [e for e in stored.timeline if e.kind == "pinned"]
    assert entry.source_ts == said.ts and entry.link == link.response["permalink"]
    assert entry.at == datetime.fromtimestamp(float(said.ts), UTC)


async def test_a_pinned_message_is_taken_from_the_event_and_linked(
    sandbox: SlackSandbox, database_url: str
) -> None:
    """``pin_added`` carries the message: it is stored without reading the history."""
    async with running_bot(sandbox, database_url, config=parse_config(CONFIG)) as bot:
        incident = await declare(sandbox)
        said = await sandbox.people.say(
            "error rate back under 1%", user="U0ALICE", channel=incident.channel
        )
        with capture_logs() as logs:
            await sandbox.people.pin(said.ts, user="U0BOB", channel=incident.channel)
            assert await _outcomes(logs, 1) == ["added"]
        pinned = await _pinned(bot, sandbox, incident.channel)
    assert pinned == [("U0ALICE", "error rate back under 1%")]
    assert sandbox.calls.count("conversations.history") == 0


async def test_other_reactions_other_channels_and_removals_change_nothing(
    sandbox: SlackSandbox, database_url: str
) -> None:
    """👀 in the incident channel, 📌 in #general: nothing stored, nothing read; a 📌
    removed (Slack would send ``reaction_removed``, which the app does not subscribe to)
    leaves the entry where it is."""
    async with running_bot(sandbox, database_url, config=parse_config(CONFIG)) as bot:
        incident = await declare(sandbox)
        said = await sandbox.people.say("a guess", user="U0BOB", channel=incident.channel)
        general = await sandbox.people.say("unrelated", user="U0BOB")
        with capture_logs() as logs:
            await sandbox.people.react(said.ts, "eyes", user="U0ALICE", channel=incident.channel)
            await sandbox.people.react(general.ts, user="U0ALICE")
            await sandbox.people.react(said.ts, user="U0ALICE", channel=incident.channel)
            # 👀 is no pin at all; the 📌 in #general is no incident's; the last one counts.
            assert await _outcomes(logs, 2) == ["not_incident", "added"]
        sandbox.workspace.store.remove_reaction(incident.channel, said.ts, "pushpin", "U0ALICE")
        pinned = await _pinned(bot, sandbox, incident.channel)
    assert pinned == [("U0BOB", "a guess")]


async def test_edits_and_deletions_in_slack_reach_the_timeline_and_follow_ups(
    sandbox: SlackSandbox, database_url: str
) -> None:
    """A pinned message edited in Slack takes its new words; deleted, it leaves a tombstone
    and no copy of its words anywhere; a follow-up whose message is deleted goes too."""
    marker = "zq9-secret-word"
    async with running_bot(sandbox, database_url, config=parse_config(CONFIG)) as bot:
        incident = await declare(sandbox)
        said = await sandbox.people.say(f"db pass {marker}", user="U0BOB", channel=incident.channel)
        with capture_logs() as logs:
            await sandbox.people.pin(said.ts, user="U0ALICE", channel=incident.channel)
            assert await _outcomes(logs, 1) == ["added"]
        asked = await sandbox.people.say(
            f"<@U0BOT> incident: follow-up rotate {marker}", channel=incident.channel
        )
        await sandbox.calls.wait_for(
            "chat.postMessage", where=lambda c: c.args.get("thread_ts") == asked.ts
        )
        await bot.idle()
        in_channel = {"channel": incident.channel}
        await sandbox.driver.send_event(
            {**edited(said, f"db pass rotated {marker}", user="U0BOB"), **in_channel}
        )
        assert await _pinned(bot, sandbox, incident.channel) == [
            ("U0BOB", f"db pass rotated {marker}")
        ]
        await sandbox.driver.send_event({**deleted(said, user="U0BOB"), **in_channel})
        await sandbox.driver.send_event({**deleted(asked), **in_channel})
        await bot.idle()
        pinned = await _pinned(bot, sandbox, incident.channel)
        stored = await bot.runtime.database.incidents.by_channel(
            team_id=sandbox.workspace.directory.team_id, channel_id=incident.channel
        )
        left = await rows_holding(bot.runtime.database.engine, marker)
    assert pinned == [("U0BOB", TOMBSTONE)]
    assert stored is not None and [f.text for f in stored.followups] == [TOMBSTONE]
    assert left == []
