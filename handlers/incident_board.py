"""The ``IncidentBoard`` port on Slack's Web API: the summary card (post, redraw), private
notes (ephemeral), and reading a pinned message and its permalink.

Reading a message uses ``conversations.history`` (``channels:history``, which the app has
for threads already); a 📌 on a thread reply is looked up with ``conversations.replies``.
"""

from __future__ import annotations

from typing import Any

import structlog
from slack_sdk.web.async_client import AsyncWebClient

from agents.incidents.ports import SlackMessage
from agents.incidents.records import Incident
from agents.kernel.errors import SlackApiFailure
from agents.kernel.models import Outbound, Reply
from handlers.blocks import reply_blocks, reply_tail_blocks, reply_text
from handlers.incident_blocks import card_text, incident_card
from handlers.result_blocks import escaped
from handlers.slack_calls import call_slack

__all__ = ["SlackIncidentBoard"]

log = structlog.get_logger(__name__)


def _plain_blocks(reply: Reply) -> list[dict[str, Any]]:
    """A reply's blocks without the turn footer and feedback buttons: no turn's answer."""
    outbound = Outbound(
        trace_id="", team_id="", channel_id="", thread_ts=None, agent="incident", reply=reply
    )
    blocks = reply_blocks(outbound)
    return blocks[: len(blocks) - len(reply_tail_blocks(outbound))]


def _found(response: Any, ts: str) -> SlackMessage | None:
    for message in response.get("messages") or []:
        if isinstance(message, dict) and message.get("ts") == ts:
            user = message.get("user") or message.get("bot_id") or ""
            return SlackMessage(ts=ts, user_id=str(user), text=str(message.get("text") or ""))
    return None


class SlackIncidentBoard:
    """Incident surfaces through the bot token (``pageable``: the services its cards offer
    paging buttons for)."""

    def __init__(self, client: AsyncWebClient, *, pageable: tuple[str, ...] = ()) -> None:
        self._client = client
        self._pageable = pageable

    async def show(self, incident: Incident) -> str:
        """Post the summary card; its ts."""
        response = await call_slack(
            "chat.postMessage",
            lambda: self._client.chat_postMessage(
                channel=incident.channel_id,
                text=card_text(incident),
                blocks=incident_card(incident, pageable=self._pageable),
            ),
        )
        return str(response["ts"])

    async def refresh(self, incident: Incident) -> None:
        """Redraw the card in place (nothing to do without one)."""
        card_ts = incident.card_ts
        if not card_ts:
            return
        await call_slack(
            "chat.update",
            lambda: self._client.chat_update(
                channel=incident.channel_id,
                ts=card_ts,
                text=card_text(incident),
                blocks=incident_card(incident, pageable=self._pageable),
            ),
        )

    async def tell(self, channel_id: str, user_id: str, reply: Reply) -> None:
        """Ephemeral to ``user_id`` in the channel."""
        await call_slack(
            "chat.postEphemeral",
            lambda: self._client.chat_postEphemeral(
                channel=channel_id,
                user=user_id,
                text=reply_text(reply),
                blocks=_plain_blocks(reply),
            ),
        )

    async def thread(self, incident: Incident, text: str, *, link: str | None = None) -> None:
        """A message in the card's thread (top level without a card): ``text`` escaped (no
        mention or link from what PagerDuty sent), then the link."""
        shown = escaped(text) + (f" <{link}|open in PagerDuty>" if link else "")
        await call_slack(
            "chat.postMessage",
            lambda: self._client.chat_postMessage(
                channel=incident.channel_id, thread_ts=incident.card_ts, text=shown
            ),
        )

    async def message(self, channel_id: str, ts: str) -> SlackMessage | None:
        """The message at ``ts``: top level first, then as a thread reply."""
        try:
            top = await call_slack(
                "conversations.history",
                lambda: self._client.conversations_history(
                    channel=channel_id, latest=ts, inclusive=True, limit=1
                ),
            )
            found = _found(top, ts)
            if found is not None:
                return found
            thread = await call_slack(
                "conversations.replies",
                lambda: self._client.conversations_replies(
                    channel=channel_id, ts=ts, latest=ts, inclusive=True, limit=1
                ),
            )
        except SlackApiFailure as exc:
            log.info("pinned_message_not_read", error=exc.error)
            return None
        return _found(thread, ts)

    async def permalink(self, channel_id: str, ts: str) -> str | None:
        """The message's permalink, or None."""
        try:
            response = await call_slack(
                "chat.getPermalink",
                lambda: self._client.chat_getPermalink(channel=channel_id, message_ts=ts),
            )
        except SlackApiFailure as exc:
            log.info("permalink_unavailable", error=exc.error)
            return None
        link = response.get("permalink")
        return str(link) if link else None
