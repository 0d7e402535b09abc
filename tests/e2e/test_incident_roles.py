"""Incident roles through the real app: "I'll lead" / "I'll do comms" and the person
pickers on the summary card; the holder is invited, told privately what the role does, the
card is redrawn and the role stored with a timeline entry; a click from another workspace,
on another message or with a forged signature changes nothing."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from bot.config_file import parse_config
from sandbox import SlackSandbox, humans
from tests.e2e.conftest import running_bot
from tests.e2e.incident_steps import CONFIG, Declared, card_blocks_text, declare


def _carols_click(sandbox: SlackSandbox, incident: Declared) -> dict[str, Any]:
    """The payload of Carol clicking "I'll lead" on the card, to be altered and sent."""
    return humans.click(
        sandbox.workspace,
        message_ts=incident.card_ts,
        action_id="incident_take_lead",
        user="U0CAROL",
        channel=incident.channel,
    )


async def test_roles_are_taken_and_handed_over_on_the_card(
    sandbox: SlackSandbox, database_url: str
) -> None:
    """Carol (outside the channel) takes the lead, Alice hands comms to Bob, then Bob takes
    the lead over: each gets the role's duties privately, the card shows the holders."""
    async with running_bot(sandbox, database_url, config=parse_config(CONFIG)) as bot:
        incident = await declare(sandbox)
        card = sandbox.calls.for_method("chat.postMessage")[0]
        assert "I'll lead" in card_blocks_text(card) and "users_select" in card_blocks_text(card)

        await sandbox.people.click(
            incident.card_ts, "incident_take_lead", user="U0CAROL", channel=incident.channel
        )
        invited = await sandbox.calls.wait_for(
            "conversations.invite", where=lambda c: c.args["users"] == "U0CAROL"
        )
        assert invited.args["channel"] == incident.channel
        redrawn = await sandbox.calls.wait_for("chat.update")
        assert redrawn.args["ts"] == incident.card_ts
        assert "*Lead*\\n<@U0CAROL>" in card_blocks_text(redrawn)
        duties = await sandbox.calls.wait_for("chat.postEphemeral")
        assert duties.args["user"] == "U0CAROL" and duties.args["channel"] == incident.channel
        assert "You are the incident lead of Checkout is down" in str(duties.args["blocks"])
        assert "coordinate" in duties.args["text"]

        await sandbox.people.click(
            incident.card_ts,
            "incident_assign_comms",
            value="U0BOB",
            user="U0ALICE",
            channel=incident.channel,
        )
        told = await sandbox.calls.wait_for("chat.postEphemeral", count=2)
        assert told.args["user"] == "U0BOB" and "comms lead" in str(told.args["blocks"])
        both = await sandbox.calls.wait_for("chat.update", count=2)
        assert "*Comms*\\n<@U0BOB>" in card_blocks_text(both)
        assert "*Lead*\\n<@U0CAROL>" in card_blocks_text(both)

        await sandbox.people.click(
            incident.card_ts, "incident_take_lead", user="U0BOB", channel=incident.channel
        )
        taken = await sandbox.calls.wait_for("chat.update", count=3)
        assert "*Lead*\\n<@U0BOB>" in card_blocks_text(taken)
        await bot.idle()
        stored = await bot.runtime.database.incidents.by_channel(
            team_id=sandbox.workspace.directory.team_id, channel_id=incident.channel
        )
    assert stored is not None and (stored.lead, stored.comms) == ("U0BOB", "U0BOB")
    roles = [e for e in stored.timeline if e.kind == "role"]
    assert [(e.user_id, e.text) for e in roles] == [
        ("U0CAROL", "<@U0CAROL> is incident lead"),
        ("U0ALICE", "<@U0BOB> is comms lead (handed over by <@U0ALICE>)"),
        ("U0BOB", "<@U0BOB> is incident lead"),
    ]


async def test_a_role_held_already_is_answered_privately_and_changes_nothing(
    sandbox: SlackSandbox, database_url: str
) -> None:
    """Bob clicks "I'll lead" twice: the second click tells him he leads already."""
    async with running_bot(sandbox, database_url, config=parse_config(CONFIG)) as bot:
        incident = await declare(sandbox)
        for _ in range(2):
            await sandbox.people.click(
                incident.card_ts, "incident_take_lead", user="U0BOB", channel=incident.channel
            )
        refusal = await sandbox.calls.wait_for("chat.postEphemeral", count=2)
        await bot.idle()
    assert refusal.args["user"] == "U0BOB" and "already" in refusal.args["text"]
    assert sandbox.calls.count("chat.update") == 1


async def test_forged_and_foreign_clicks_are_refused(
    sandbox: SlackSandbox, database_url: str
) -> None:
    """A click from another workspace, a role control replayed on another message, and a
    badly signed click: no role is stored, the card is not redrawn, nobody is invited."""
    async with running_bot(sandbox, database_url, config=parse_config(CONFIG)) as bot:
        incident = await declare(sandbox)

        foreign = _carols_click(sandbox, incident)
        foreign["team"] = {"id": "T0OTHER", "domain": "other"}
        foreign["user"] = {**foreign["user"], "team_id": "T0OTHER"}
        await sandbox.driver.send_interaction(foreign)
        # Carol is not in the channel: Slack will not show her an ephemeral there, so a DM.
        refused = await sandbox.calls.wait_for(
            "chat.postMessage", where=lambda c: c.args["channel"] == "U0CAROL"
        )
        assert "not on an incident" in refused.args["text"]

        elsewhere = await sandbox.people.say("a message", user="U0ALICE", channel=incident.channel)
        moved = _carols_click(sandbox, incident)
        moved["container"] = {**moved["container"], "message_ts": elsewhere.ts}
        await sandbox.driver.send_interaction(moved)
        await sandbox.calls.wait_for(
            "chat.postMessage", where=lambda c: c.args["channel"] == "U0CAROL", count=2
        )

        payload = _carols_click(sandbox, incident)
        body = urlencode({"payload": json.dumps(payload)}).encode()
        forged = await sandbox.driver.post_raw(
            body, content_type="application/x-www-form-urlencoded", signature="forged"
        )
        assert forged.status == 401
        await bot.idle()
        stored = await bot.runtime.database.incidents.by_channel(
            team_id=sandbox.workspace.directory.team_id, channel_id=incident.channel
        )
    assert stored is not None and stored.lead is None and stored.comms is None
    assert [e.kind for e in stored.timeline] == ["declared"]
    assert sandbox.calls.count("chat.update") == 0
    invites = sandbox.calls.for_method("conversations.invite")
    assert all("U0CAROL" not in c.args["users"] for c in invites)
