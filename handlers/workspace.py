"""The ``Workspace`` port on Slack's Web API: create channels, invite people, post.

Slack's error codes are translated here: ``name_taken`` becomes
:class:`~agents.incidents.ports.ChannelNameTaken` (the agent then tries another name), other
naming errors a :class:`~agents.kernel.errors.UserFacingError`, anything else the
:class:`~agents.kernel.errors.SlackApiFailure` that :func:`call_slack` raises.
"""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.web.async_client import AsyncWebClient

from agents.incidents.ports import ChannelNameTaken
from agents.kernel.errors import SlackApiFailure, UserFacingError
from agents.kernel.models import Outbound, Reply
from handlers.blocks import reply_blocks, reply_text
from handlers.slack_calls import call_slack

__all__ = ["SlackWorkspace"]

_NAME_ERRORS = {
    "invalid_name": "is not a valid channel name",
    "invalid_name_specials": "may only hold lower-case letters, digits, '-' and '_'",
    "invalid_name_maxlength": "is longer than 80 characters",
    "invalid_name_required": "is empty",
    "invalid_name_punctuation": "may not be only punctuation",
}
_INVITE_HARMLESS = frozenset({"already_in_channel", "cant_invite_self"})


class SlackWorkspace:
    """Channel and posting operations for agents, through the bot token."""

    def __init__(self, client: AsyncWebClient) -> None:
        self._client = client

    async def create_channel(self, name: str) -> str:
        """Create a public channel; its creator (the bot) is in it. Returns its id."""
        try:
            response = await call_slack(
                "conversations.create",
                lambda: self._client.conversations_create(name=name, is_private=False),
            )
        except SlackApiFailure as exc:
            if exc.error == "name_taken":
                raise ChannelNameTaken(name) from exc
            if exc.error in _NAME_ERRORS:
                raise UserFacingError(f"#{name} {_NAME_ERRORS[exc.error]}.") from exc
            raise
        return str(response["channel"]["id"])

    async def invite(self, channel_id: str, user_ids: Sequence[str]) -> None:
        """Invite people; those already in the channel (and the bot itself) are skipped."""
        bot = await self._bot_user_id()
        wanted = [user for user in dict.fromkeys(user_ids) if user and user != bot]
        if not wanted:
            return
        try:
            await call_slack(
                "conversations.invite",
                lambda: self._client.conversations_invite(
                    channel=channel_id, users=",".join(wanted)
                ),
            )
        except SlackApiFailure as exc:
            if exc.error not in _INVITE_HARMLESS:
                raise

    async def post(self, channel_id: str, reply: Reply) -> str:
        """Post at the top level of a channel; returns the message ts."""
        outbound = Outbound(
            trace_id="",
            team_id="",
            channel_id=channel_id,
            thread_ts=None,
            agent="incident",
            reply=reply,
        )
        blocks = reply_blocks(outbound)[:-1]  # without the turn footer: this is no turn's reply
        response = await call_slack(
            "chat.postMessage",
            lambda: self._client.chat_postMessage(
                channel=channel_id, text=reply_text(reply), blocks=blocks
            ),
        )
        return str(response["ts"])

    async def _bot_user_id(self) -> str:
        response = await call_slack("auth.test", lambda: self._client.auth_test())
        return str(response.get("user_id") or "")
