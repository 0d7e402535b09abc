"""Posting a stored reply to Slack, and finding it again after a crash.

Every reply carries Slack message metadata with its trace id. After a crash between the post
and the record of it, :meth:`Delivery.find_posted` looks for that metadata in the thread, so a
recovered turn is posted at most once.
"""

from __future__ import annotations

from dataclasses import KW_ONLY, dataclass
from typing import Any

import aiohttp
import structlog
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from agents.actions.operations import Operations
from agents.kernel.errors import SlackApiFailure
from agents.kernel.models import Inbound, Outbound
from handlers.approval_blocks import approval_blocks, approval_text
from handlers.blocks import (
    TURN_EVENT_TYPE,
    annotation_blocks,
    reply_blocks,
    reply_metadata,
    reply_text,
)
from handlers.links import LinkPolicy
from handlers.notifier import update_card
from handlers.slack_calls import call_slack

log = structlog.get_logger(__name__)

__all__ = ["EPHEMERAL_TS", "Delivery"]

EPHEMERAL_TS = "ephemeral"
"""Stored as the ``ts`` of a reply Slack shows only to the asker (it has no real ts)."""


@dataclass(frozen=True, slots=True)
class Delivery:
    """Posts replies into their thread (or ephemerally, for slash commands)."""

    client: AsyncWebClient
    _: KW_ONLY
    operations: Operations | None = None
    history_limit: int = 200
    links: LinkPolicy | None = None
    """What a response_url post passes before it leaves (the Web API client guards the rest)."""

    async def post(self, outbound: Outbound, *, inbound: Inbound, response_url: str | None) -> str:
        """Post the reply and return its Slack ts (``EPHEMERAL_TS`` for ephemeral replies)."""
        if outbound.reply.approval_id is not None and self.operations is not None:
            return await self._post_card(outbound, self.operations, outbound.reply.approval_id)
        text, blocks = reply_text(outbound.reply), reply_blocks(outbound)
        if inbound.source == "command":
            return await self._post_ephemeral(
                outbound, inbound=inbound, response_url=response_url, text=text, blocks=blocks
            )
        response = await call_slack(
            "chat.postMessage",
            lambda: self.client.chat_postMessage(
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

    async def replace(self, ts: str, outbound: Outbound) -> None:
        """Make message ``ts`` the whole reply (a stream Slack expired, or one a crash cut
        short): text, blocks and the metadata that finds it again."""
        await call_slack(
            "chat.update",
            lambda: self.client.chat_update(
                channel=outbound.channel_id,
                ts=ts,
                text=reply_text(outbound.reply),
                blocks=reply_blocks(outbound),
                metadata=reply_metadata(outbound),
            ),
        )

    async def finish_stream(self, ts: str, outbound: Outbound) -> None:
        """Make a stream a crash cut short the whole reply: stop it if Slack still has it
        streaming (an expired one is already stopped), then replace its content."""
        try:
            await call_slack(
                "chat.stopStream",
                lambda: self.client.chat_stopStream(channel=outbound.channel_id, ts=ts),
            )
        except SlackApiFailure as exc:
            log.info("stream_already_stopped", error=exc.error)
        await self.replace(ts, outbound)

    async def react(self, inbound: Inbound, name: str, *, remove: bool = False) -> bool:
        """Add (or remove) a reaction on the person's message; cosmetic, so never raises.

        Returns:
            Whether Slack accepted it.
        """
        if not inbound.ts:
            return False
        method = "reactions.remove" if remove else "reactions.add"
        call = self.client.reactions_remove if remove else self.client.reactions_add
        try:
            await call_slack(
                method, lambda: call(channel=inbound.channel_id, timestamp=inbound.ts, name=name)
            )
        except SlackApiFailure as exc:
            log.info("reaction_failed", method=method, error=exc.error)
            return False
        return True

    async def _post_card(self, outbound: Outbound, ops: Operations, approval_id: str) -> str:
        """Post an approval card where everyone in the channel (the approvers) can see it."""
        approval = await ops.decisions.approval(approval_id)
        action = ops.catalog.action(approval.action) if approval is not None else None
        if approval is None or action is None:
            raise SlackApiFailure("chat.postMessage", "approval_missing")
        card = approval_blocks(approval, action)
        # The turn's record of its tool calls, and a note (the rules planner stood in...).
        card[-1:-1] = [block.to_dict() for block in annotation_blocks(outbound.reply)]
        response = await call_slack(
            "chat.postMessage",
            lambda: self.client.chat_postMessage(
                channel=outbound.channel_id,
                thread_ts=outbound.thread_ts,
                text=approval_text(approval),
                blocks=card,
                metadata=reply_metadata(outbound),
                unfurl_links=False,
                unfurl_media=False,
            ),
        )
        ts = str(response["ts"])
        await ops.decisions.card_posted(approval_id, ts)
        fresh = await ops.decisions.approval(approval_id)
        if fresh is not None and fresh.version != approval.version:
            # A vote or the worker moved on while the card was being posted: show it now.
            await update_card(self.client, fresh, action, ts=ts)
        return ts

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
            webhook = AsyncWebhookClient(response_url, session=self.client.session)
            try:
                result = await webhook.send_dict(self._guarded(text, blocks))
            except (aiohttp.ClientError, TimeoutError) as exc:
                raise SlackApiFailure("response_url", f"connection: {type(exc).__name__}") from exc
            if result.status_code >= 400:
                raise SlackApiFailure("response_url", f"http_{result.status_code}")
            return EPHEMERAL_TS
        # After a crash the response_url is gone (it is never stored): answer ephemerally.
        await call_slack(
            "chat.postEphemeral",
            lambda: self.client.chat_postEphemeral(
                channel=outbound.channel_id, user=inbound.user_id, text=text, blocks=blocks
            ),
        )
        return EPHEMERAL_TS

    def _guarded(self, text: str, blocks: list[dict[str, Any]]) -> dict[str, Any]:
        body = {"text": text, "blocks": blocks, "response_type": "ephemeral"}
        return self.links.guard("response_url", body) if self.links is not None else body

    async def find_posted(self, outbound: Outbound, *, inbound: Inbound) -> str | None:
        """The ts of a reply already posted for this turn, found by its metadata, else None.

        Ephemeral replies cannot be read back, so for slash commands this returns None
        (except approval cards, which are posted in the channel).
        """
        if inbound.source == "command" and outbound.reply.approval_id is None:
            return None
        thread_ts = outbound.thread_ts
        if thread_ts is not None:
            response = await call_slack(
                "conversations.replies",
                lambda: self.client.conversations_replies(
                    channel=outbound.channel_id,
                    ts=thread_ts,
                    include_all_metadata=True,
                    limit=self.history_limit,
                ),
            )
        else:
            response = await call_slack(
                "conversations.history",
                lambda: self.client.conversations_history(
                    channel=outbound.channel_id,
                    oldest=inbound.ts or f"{inbound.received_at.timestamp() - 60:.6f}",
                    include_all_metadata=True,
                    limit=self.history_limit,
                ),
            )
        for message in response.get("messages") or []:
            metadata = message.get("metadata") or {}
            payload = metadata.get("event_payload") or {}
            if (
                metadata.get("event_type") == TURN_EVENT_TYPE
                and payload.get("trace_id") == outbound.trace_id
            ):
                ts = str(message["ts"])
                approval_id = outbound.reply.approval_id
                if approval_id is not None and self.operations is not None:
                    await self.operations.decisions.card_posted(approval_id, ts)
                return ts
        return None
