"""Telling Slack about approval changes: update the card, tell the thread, escalate.

Failures here are logged and swallowed: the approval's state is already stored, and a card
that could not be refreshed must never undo or repeat a decision.
"""

from __future__ import annotations

from collections.abc import Mapping

import structlog
from slack_sdk.web.async_client import AsyncWebClient

from agents.actions.approval import Approval
from agents.actions.ports import ApprovalNews
from agents.actions.spec import ActionSpec
from agents.kernel.errors import SlackApiFailure
from handlers.approval_blocks import approval_blocks, approval_text
from handlers.result_blocks import output_blocks, output_text
from handlers.slack_calls import call_slack
from handlers.wording import approval_note

__all__ = ["SlackApprovalNotifier", "update_card"]

log = structlog.get_logger(__name__)


async def update_card(
    client: AsyncWebClient, approval: Approval, action: ActionSpec, *, ts: str
) -> None:
    """``chat.update`` the card posted at ``ts`` to the approval's current state."""
    await call_slack(
        "chat.update",
        lambda: client.chat_update(
            channel=approval.channel_id,
            ts=ts,
            text=approval_text(approval),
            blocks=approval_blocks(approval, action),
        ),
    )


class SlackApprovalNotifier:
    """``ApprovalNotifier`` over the Slack Web API."""

    def __init__(self, client: AsyncWebClient, *, actions: Mapping[str, ActionSpec]) -> None:
        self._client = client
        self._actions = actions

    async def approval_changed(self, approval: Approval, *, news: ApprovalNews | None) -> None:
        """Re-render the card in place and tell the request's thread the news, if any (a
        run's output, when it has one to show, with its summary in small print)."""
        note = approval_note(approval, news)
        output = news.output if news is not None else None
        blocks = output_blocks(approval, output) if output is not None else None
        if output is not None:
            note = output_text(approval, output)
        action = self._actions.get(approval.action)
        try:
            if approval.message_ts and action is not None:
                await self.update_card(approval, action)
            if note:
                await call_slack(
                    "chat.postMessage",
                    lambda: self._client.chat_postMessage(
                        channel=approval.channel_id,
                        thread_ts=approval.thread_ts or approval.message_ts,
                        text=note,
                        blocks=blocks,
                        metadata={
                            "event_type": "switchboard_approval",
                            "event_payload": {
                                "trace_id": approval.trace_id,
                                "approval_id": approval.id,
                                "state": approval.state,
                            },
                        },
                    ),
                )
        except SlackApiFailure as exc:
            log.warning(
                "approval_notify_failed",
                method=exc.method,
                error=exc.error,
                approval_id=approval.id,
            )

    async def update_card(self, approval: Approval, action: ActionSpec) -> None:
        """``chat.update`` the card to the approval's current state."""
        if approval.message_ts is not None:
            await update_card(self._client, approval, action, ts=approval.message_ts)

    async def escalate(self, approval: Approval, *, channel_id: str) -> None:
        """Post in the escalation channel that a request expired unapproved."""
        text = (
            f":alarm_clock: `{approval.action}` requested by <@{approval.requester}> expired "
            f"without approval ({len(approval.approvals)} of {approval.quorum} approvals)."
        )
        try:
            await call_slack(
                "chat.postMessage",
                lambda: self._client.chat_postMessage(channel=channel_id, text=text),
            )
        except SlackApiFailure as exc:
            log.warning(
                "escalation_failed", method=exc.method, error=exc.error, approval_id=approval.id
            )
