"""conversations.create / conversations.invite and reactions.remove, as the SDK sees them;
and the bot's SlackWorkspace adapter driving them."""

from __future__ import annotations

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from agents.incidents.ports import ChannelNameTaken
from agents.kernel.errors import UserFacingError
from agents.kernel.models import Reply
from handlers.workspace import SlackWorkspace
from sandbox import SlackSandbox


async def _error(call: object) -> str:
    with pytest.raises(SlackApiError) as info:
        await call  # type: ignore[misc]
    return str(info.value.response["error"])


async def test_create_makes_a_public_channel_with_the_bot_in_it(client: AsyncWebClient) -> None:
    """The new channel has an id, the given name, and the bot as its only member."""
    created = await client.conversations_create(name="inc-20261123-db-down")
    channel = created["channel"]
    assert channel["name"] == "inc-20261123-db-down" and channel["id"].startswith("C")
    members = await client.conversations_members(channel=channel["id"])
    assert members["members"] == ["U0BOT"]


async def test_create_refuses_taken_and_invalid_names(client: AsyncWebClient) -> None:
    """Slack's codes: name_taken, invalid_name_specials, invalid_name_maxlength."""
    await client.conversations_create(name="inc-one")
    assert await _error(client.conversations_create(name="inc-one")) == "name_taken"
    assert await _error(client.conversations_create(name="general")) == "name_taken"
    assert await _error(client.conversations_create(name="Has Caps")) == "invalid_name_specials"
    assert await _error(client.conversations_create(name="x" * 81)) == "invalid_name_maxlength"


async def test_invite_adds_members_and_reports_slacks_errors(client: AsyncWebClient) -> None:
    """Invited people become members; all already in, self, unknown users are errors."""
    channel = (await client.conversations_create(name="inc-two"))["channel"]["id"]
    await client.conversations_invite(channel=channel, users="U0ALICE,U0BOB")
    members = (await client.conversations_members(channel=channel))["members"]
    assert members == ["U0ALICE", "U0BOB", "U0BOT"]
    assert await _error(client.conversations_invite(channel=channel, users="U0ALICE")) == (
        "already_in_channel"
    )
    assert await _error(client.conversations_invite(channel=channel, users="U0BOT")) == (
        "cant_invite_self"
    )
    assert await _error(client.conversations_invite(channel=channel, users="U0NOPE")) == (
        "user_not_found"
    )
    assert await _error(client.conversations_invite(channel="C0NOPE", users="U0ALICE")) == (
        "channel_not_found"
    )


async def test_reactions_remove_takes_back_only_existing_reactions(
    client: AsyncWebClient, sandbox: SlackSandbox
) -> None:
    """A reaction added can be removed once; removing again is no_reaction."""
    sent = await sandbox.people.say("hello")
    await client.reactions_add(channel="C0GENERAL", timestamp=sent.ts, name="eyes")
    await client.reactions_remove(channel="C0GENERAL", timestamp=sent.ts, name="eyes")
    history = await client.conversations_history(channel="C0GENERAL")
    assert "reactions" not in history["messages"][0] or history["messages"][0]["reactions"] == []
    assert (
        await _error(client.reactions_remove(channel="C0GENERAL", timestamp=sent.ts, name="eyes"))
        == "no_reaction"
    )


async def test_slack_workspace_creates_invites_and_posts(
    client: AsyncWebClient, sandbox: SlackSandbox
) -> None:
    """The adapter: a channel, invites (the bot and people already in are skipped), a post."""
    workspace = SlackWorkspace(client)
    channel = await workspace.create_channel("inc-three")
    await workspace.invite(channel, ["U0ALICE", "U0BOT", "U0ALICE"])
    await workspace.invite(channel, ["U0ALICE"])  # already in: not an error
    ts = await workspace.post(channel, Reply(text="Incident: db down", title="Incident"))
    members = (await client.conversations_members(channel=channel))["members"]
    assert members == ["U0ALICE", "U0BOT"]
    posted = sandbox.calls.for_method("chat.postMessage")[-1]
    assert posted.args["channel"] == channel and posted.response["ts"] == ts


async def test_slack_workspace_translates_naming_errors(client: AsyncWebClient) -> None:
    """name_taken is ChannelNameTaken (the agent retries); a bad name is user-facing."""
    workspace = SlackWorkspace(client)
    await workspace.create_channel("inc-four")
    with pytest.raises(ChannelNameTaken):
        await workspace.create_channel("inc-four")
    with pytest.raises(UserFacingError, match="lower-case"):
        await workspace.create_channel("Bad Name")
