"""`incident: catch up`, follow-ups and the postmortem draft through the real app."""

from __future__ import annotations

from bot.config_file import parse_config
from sandbox import SlackSandbox
from tests.e2e.conftest import running_bot
from tests.e2e.incident_steps import CONFIG, ask, declare


async def test_catch_up_is_private_and_says_where_the_incident_stands(
    sandbox: SlackSandbox, database_url: str
) -> None:
    """Bob asks to catch up: an ephemeral for him alone with the title, severity, status,
    roles, age, the latest timeline entries and the open follow-ups; the thread only says
    it was sent."""
    async with running_bot(sandbox, database_url, config=parse_config(CONFIG)) as bot:
        incident = await declare(sandbox)
        await sandbox.people.click(
            incident.card_ts, "incident_take_lead", user="U0ALICE", channel=incident.channel
        )
        await sandbox.calls.wait_for("chat.update")
        await ask(sandbox, incident.channel, "status identified")
        await ask(sandbox, incident.channel, "follow-up add an alert on checkout 5xx")
        answer = await ask(sandbox, incident.channel, "catch up", user="U0BOB")
        private = await sandbox.calls.wait_for(
            "chat.postEphemeral", where=lambda c: c.args["user"] == "U0BOB"
        )
        await bot.idle()
    assert "private catch-up" in answer.args["text"]
    assert private.args["channel"] == incident.channel
    shown = str(private.args["blocks"])
    for part in (
        "Catch-up: Checkout is down",
        "sev1, identified",
        "lead <@U0ALICE>",
        "comms: nobody yet",
        "ago by <@U0ALICE>",
        "status <@U0ALICE>: identified",
        "add an alert on checkout 5xx",
    ):
        assert part in shown, part


async def test_resolve_drafts_the_postmortem_with_roles_pins_and_follow_ups(
    sandbox: SlackSandbox, database_url: str
) -> None:
    """The draft has the summary, severity, roles, the timeline with the pinned message and
    its link, and the follow-ups; the card loses its role controls."""
    async with running_bot(sandbox, database_url, config=parse_config(CONFIG)) as bot:
        incident = await declare(sandbox)
        await sandbox.people.click(
            incident.card_ts, "incident_take_lead", user="U0BOB", channel=incident.channel
        )
        await sandbox.calls.wait_for("chat.update")
        said = await sandbox.people.say("rolled back 4f2a", user="U0BOB", channel=incident.channel)
        await sandbox.people.pin(said.ts, user="U0ALICE", channel=incident.channel)
        await sandbox.calls.wait_for("chat.getPermalink")
        empty = await ask(sandbox, incident.channel, "follow-up")
        assert "What needs doing" in empty.args["text"]
        captured = await ask(sandbox, incident.channel, "follow-up write a rollback runbook")
        assert "Follow-up 1 captured" in captured.args["text"]
        draft = await ask(sandbox, incident.channel, "resolve rollback fixed it")
        closed = await sandbox.calls.wait_for("chat.update", count=2)
        late = await ask(sandbox, incident.channel, "follow-up too late")
        await bot.idle()
        stored = await bot.runtime.database.incidents.by_channel(
            team_id=sandbox.workspace.directory.team_id, channel_id=incident.channel
        )
    text = draft.args["text"]
    for part in (
        "Postmortem draft: Checkout is down",
        "Severity sev1",
        "lead <@U0BOB>",
        "on call <@U0BOB>",
        "📌 <@U0BOB>: rolled back 4f2a",
        "*Follow-ups*",
        "write a rollback runbook (<@U0ALICE>)",
        "resolved at",
    ):
        assert part in text, part
    assert "incident_take_lead" not in str(closed.args["blocks"])
    assert "*Status*\\nresolved" in str(closed.args["blocks"])
    assert "resolved already" in late.args["text"]
    assert stored is not None and [f.text for f in stored.followups] == ["write a rollback runbook"]
