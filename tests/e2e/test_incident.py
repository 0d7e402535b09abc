"""The incident lifecycle through the real app and the sandbox: declare -> channel, invites,
summary -> status -> note -> resolve with a postmortem draft; and who is on call."""

from __future__ import annotations

from bot.config_file import parse_config
from sandbox import SlackSandbox
from tests.e2e.conftest import running_bot
from tests.e2e.incident_steps import CONFIG


async def test_incident_lifecycle_end_to_end(sandbox: SlackSandbox, database_url: str) -> None:
    """A channel is created and staffed, the timeline grows, and resolve drafts the
    postmortem in the incident channel; the stored incident is resolved."""
    async with running_bot(sandbox, database_url, config=parse_config(CONFIG)) as bot:
        declared = await sandbox.people.say("<@U0BOT> incident: declare sev1 Checkout is down")
        created = await sandbox.calls.wait_for("conversations.create")
        channel = created.response["channel"]["id"]
        assert created.args["name"].startswith("inc-") and created.args["name"].endswith(
            "-checkout-is-down"
        )
        invited = await sandbox.calls.wait_for("conversations.invite")
        assert invited.args["channel"] == channel
        assert set(invited.args["users"].split(",")) == {"U0ALICE", "U0BOB"}
        summary = await sandbox.calls.wait_for(
            "chat.postMessage", where=lambda c: c.args["channel"] == channel
        )
        assert "Checkout is down" in summary.args["text"]
        answer = await sandbox.calls.wait_for(
            "chat.postMessage", where=lambda c: c.args["channel"] == "C0GENERAL"
        )
        assert answer.args["thread_ts"] == declared.ts and f"<#{channel}>" in answer.args["text"]

        async def say(text: str, user: str = "U0ALICE") -> str:
            before = sandbox.calls.count("chat.postMessage")
            await sandbox.people.say(f"<@U0BOT> incident: {text}", user=user, channel=channel)
            posted = await sandbox.calls.wait_for("chat.postMessage", count=before + 1)
            return str(posted.args["text"])

        assert "identified" in await say("status identified", user="U0BOB")
        assert "timeline" in await say("note rolled back the checkout deploy", user="U0BOB")
        draft = await say("resolve rollback fixed it")
        await bot.idle()
        stored = await bot.runtime.database.incidents.by_channel(
            team_id=sandbox.workspace.directory.team_id, channel_id=channel
        )
    assert "Postmortem draft: Checkout is down" in draft
    for entry in ("Declared: Checkout is down", "identified", "rolled back the checkout deploy"):
        assert entry in draft
    assert stored is not None and stored.status == "resolved"
    assert [e.kind for e in stored.timeline] == ["declared", "status", "note", "resolved"]


async def test_who_is_on_call(sandbox: SlackSandbox, database_url: str) -> None:
    """`who is on call?` routes to oncall and names Bob."""
    async with running_bot(sandbox, database_url, config=parse_config(CONFIG)) as bot:
        await sandbox.people.say("<@U0BOT> who is on call?")
        posted = await sandbox.calls.wait_for("chat.postMessage")
        await bot.idle()
    assert posted.args["metadata"]["event_payload"]["agent"] == "oncall"
    assert "<@U0BOB> now" in str(posted.args["blocks"])
