"""Posting a stored reply to Slack, and finding it again after a crash.

Every reply carries Slack message metadata with its trace id. After a crash between the post
and the record of it, :meth:`Delivery.find_posted` looks for that metadata in the thread, so a
recovered turn is posted at most once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from agents.core.errors import SlackApiFailure
from agents.core.models import Inbound, Outbound
from handlers.blocks import TURN_EVENT_TYPE, reply_blocks, reply_metadata, reply_text

__all__ = ["EPHEMERAL_TS", "PERMANENT_ERRORS", "Delivery"]

EPHEMERAL_TS = "ephemeral"
"""Stored as the ``ts`` of a reply Slack shows only to the asker (it has no real ts)."""

PERMANENT_ERRORS = frozenset(
    {
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "invalid_auth",
        "account_inactive",
        "token_revoked",
        "no_permission",
        "missing_scope",
        "thread_not_found",
        "user_not_in_channel",
        "invalid_blocks",
        "msg_too_long",
        "restricted_action",
    }
)
"""Slack errors that no retry can fix: the delivery is marked failed instead of retried."""


async def _call(method: str, call: Callable[[], Awaitable[Any]]) -> Any:
    """Run one Web API call, translating the SDK's and aiohttp's errors at this seam."""
    try:
        return await call()
    except SlackApiError as exc:
        error = exc.response.get("error") if exc.response is not None else None
        status = getattr(exc.response, "status_code", "?")
        raise SlackApiFailure(method, str(error or f"http_{status}")) from exc
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise SlackApiFailure(method, f"connection: {type(exc).__name__}") from exc


class Delivery:
    """Posts replies into their thread (or ephemerally, for slash commands)."""

    def __init__(self, client: AsyncWebClient, *, history_limit: int = 200) -> None:
        self._client = client
        self._history_limit = history_limit

    async def post(self, outbound: Outbound, *, inbound: Inbound, response_url: str | None) -> str:
        """Post the reply and return its Slack ts (``EPHEMERAL_TS`` for ephemeral replies)."""
        text, blocks = reply_text(outbound.reply), reply_blocks(outbound)
        if inbound.source == "command":
            return await self._post_ephemeral(
                outbound, inbound=inbound, response_url=response_url, text=text, blocks=blocks
            )
        response = await _call(
            "chat.postMessage",
            lambda: self._client.chat_postMessage(
                channel=outbound.channel_id,
                thread_ts=outbound.thread_ts,
                text=text,
                blocks=blocks,
                metadata=reply_metadata(outbound),
                unfurl_links=False,
                unfurl_media=False,
            ),
        )
        return str(response["ts"])

    async def _post_ephemeral(
        self,
        outbound: Outbound,
        *,
        inbound: Inbound,
        response_url: str | None,
        text: str,
        blocks: list[dict[str, Any]],
    ) -> str:
        if response_url is not None:
            webhook = AsyncWebhookClient(response_url, session=self._client.session)
            try:
                result = await webhook.send(text=text, blocks=blocks, response_type="ephemeral")
            except (aiohttp.ClientError, TimeoutError) as exc:
                raise SlackApiFailure("response_url", f"connection: {type(exc).__name__}") from exc
            if result.status_code >= 400:
                raise SlackApiFailure("response_url", f"http_{result.status_code}")
            return EPHEMERAL_TS
        # After a crash the response_url is gone (it is never stored): answer ephemerally.
        await _call(
            "chat.postEphemeral",
            lambda: self._client.chat_postEphemeral(
                channel=outbound.channel_id, user=inbound.user_id, text=text, blocks=blocks
            ),
        )
        return EPHEMERAL_TS

    async def find_posted(self, outbound: Outbound, *, inbound: Inbound) -> str | None:
        """The ts of a reply already posted for this turn, found by its metadata, else None.

        Ephemeral replies cannot be read back, so for slash commands this returns None.
        """
        if inbound.source == "command":
            return None
        thread_ts = outbound.thread_ts
        if thread_ts is not None:
            response = await _call(
                "conversations.replies",
                lambda: self._client.conversations_replies(
                    channel=outbound.channel_id,
                    ts=thread_ts,
                    include_all_metadata=True,
                    limit=self._history_limit,
                ),
            )
        else:
            response = await _call(
                "conversations.history",
                lambda: self._client.conversations_history(
                    channel=outbound.channel_id,
                    oldest=inbound.ts or None,
                    include_all_metadata=True,
                    limit=self._history_limit,
                ),
            )
        for message in response.get("messages") or []:
            metadata = message.get("metadata") or {}
            payload = metadata.get("event_payload") or {}
            if (
                metadata.get("event_type") == TURN_EVENT_TYPE
                and payload.get("trace_id") == outbound.trace_id
            ):
                return str(message["ts"])
        return None
