"""Telling Slack about approval changes: update the card, tell the thread, escalate.

A failure never undoes or repeats a decision: the approval's state is already stored. What
Slack refused for a while (a 5xx, an outage, a rate limit that outlasted its retries) is kept
and tried again, like an owed reply: after 1, 2, 4… seconds (at most
:data:`~handlers.retry_timer.RETRY_EVERY_MAX`), at once when Slack is back (:meth:`slack_is_back`),
for up to ``deadline`` seconds. The card is re-rendered to the approval's latest state; the
thread's notes go once each, in order. What Slack refuses for good (a permanent error) is
logged and dropped. The notices are kept in this process only: a restart drops those still
owed (the approval's state itself is stored, and the card shows it at its next change).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import structlog
from slack_sdk.web.async_client import AsyncWebClient

from agents.actions.approval import Approval
from agents.actions.ports import ApprovalNews
from agents.actions.spec import ActionSpec
from agents.kernel.errors import SlackApiFailure
from agents.kernel.tenancy import acting_for
from handlers.approval_blocks import approval_blocks, approval_text
from handlers.result_blocks import output_blocks, output_text
from handlers.retry_timer import RetryTimer
from handlers.slack_calls import PERMANENT_ERRORS, call_slack
from handlers.wording import approval_note

__all__ = ["SlackApprovalNotifier", "update_card"]

log = structlog.get_logger(__name__)

_CARD_GONE = frozenset({"message_not_found", "cant_update_message", "edit_window_closed"})
"""``chat.update`` errors that mean the card itself can no longer be updated."""

NOTICE_DEADLINE = 6 * 3600.0
"""Seconds an approval's notices are kept trying (as a reply's ``reply_deadline``)."""


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


@dataclass(slots=True)
class _Owed:
    """What one approval still owes Slack: its card at the latest state, and notes in order."""

    approval: Approval
    card: bool
    timer: RetryTimer
    notes: list[tuple[str, list[dict[str, Any]] | None, Approval]] = field(default_factory=list)
    since: float = 0.0
    task: asyncio.Task[None] | None = None


class SlackApprovalNotifier:
    """``ApprovalNotifier`` over the Slack Web API; what Slack refused for a while is owed
    (see the module docstring).

    Args:
        first_retry: seconds before the first retry of an owed notice (doubling).
        deadline: seconds an owed notice is kept trying.
    """

    def __init__(
        self,
        client: AsyncWebClient,
        *,
        actions: Mapping[str, ActionSpec],
        first_retry: float = 1.0,
        deadline: float = NOTICE_DEADLINE,
    ) -> None:
        self._client = client
        self._actions = actions
        self._first = first_retry
        self._deadline = deadline
        self._owed: dict[str, _Owed] = {}  # by approval id

    @property
    def owed(self) -> int:
        """How many approvals still owe Slack a notice."""
        return len(self._owed)

    async def approval_changed(self, approval: Approval, *, news: ApprovalNews | None) -> None:
        """Re-render the card in place and tell the request's thread the news, if any (a
        run's output, when it has one to show, with its summary in small print); behind an
        earlier notice of the same approval still owed (or being sent), it goes after it."""
        note = approval_note(approval, news)
        output = news.output if news is not None else None
        blocks = output_blocks(approval, output) if output is not None else None
        if output is not None:
            note = output_text(approval, output)
        owed = self._owed.get(approval.id)
        sending = owed is None
        if owed is None:
            since = asyncio.get_running_loop().time()
            owed = _Owed(approval, card=False, timer=RetryTimer(self._first), since=since)
            self._owed[approval.id] = owed
        owed.approval = approval
        owed.card = bool(approval.message_ts) and approval.action in self._actions
        if note:
            owed.notes.append((note, blocks, approval))
        if sending:
            await self._send(owed)

    def slack_is_back(self) -> None:
        """Slack is reachable again: every owed notice is tried now, not at its next
        backoff."""
        hurried = 0
        for owed in self._owed.values():
            if owed.timer.waiting:
                owed.timer.schedule(partial(self._fire, owed), 0.0)
                hurried += 1
        if hurried:
            log.info("approval_notices_hurried", approvals=hurried)

    async def _send(self, owed: _Owed) -> None:
        """Send what ``owed`` holds, in order (and what arrives meanwhile); keep what Slack
        refused for a while."""
        try:
            with acting_for(owed.approval.team_id):  # a retry fired by a timer, too
                while owed.card or owed.notes:
                    if owed.card:
                        owed.card = False
                        await self._refresh_card(owed.approval)
                    if owed.notes:
                        note, blocks, at_state = owed.notes[0]
                        await self._post_note(note, blocks, at_state)
                        owed.notes.pop(0)
        except SlackApiFailure as exc:
            if exc.error not in PERMANENT_ERRORS:
                owed.card = owed.card or exc.method == "chat.update"
                self._keep(owed, exc)
                return
            _refused(exc, owed.approval.id).warning("approval_notify_failed", permanent=True)
        self._owed.pop(owed.approval.id, None)

    async def _refresh_card(self, approval: Approval) -> None:
        """Update the card; a card that is gone (deleted, too old to edit) is let go, so the
        thread's notes still go."""
        try:
            await self.update_card(approval, self._actions[approval.action])
        except SlackApiFailure as exc:
            if exc.error not in _CARD_GONE:
                raise
            log.warning("approval_card_gone", error=exc.error, approval_id=approval.id)

    def _keep(self, owed: _Owed, exc: SlackApiFailure) -> None:
        loop = asyncio.get_running_loop()
        refused = _refused(exc, owed.approval.id)
        if loop.time() - owed.since >= self._deadline:
            refused.error("approval_notice_given_up", notes=len(owed.notes))
            self._owed.pop(owed.approval.id, None)
            return
        delay = owed.timer.back_off(partial(self._fire, owed))
        refused.warning("approval_notify_failed", permanent=False, retry_in_s=delay)

    def _fire(self, owed: _Owed) -> None:
        if self._owed.get(owed.approval.id) is owed and owed.task is None:
            owed.task = asyncio.create_task(self._retry(owed))

    async def _retry(self, owed: _Owed) -> None:
        try:
            await self._send(owed)
        finally:
            owed.task = None

    async def _post_note(
        self, note: str, blocks: list[dict[str, Any]] | None, approval: Approval
    ) -> None:
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


def _refused(exc: SlackApiFailure, approval_id: str) -> structlog.typing.FilteringBoundLogger:
    """The log bound to the call Slack refused, its error and the approval it was for."""
    bound: structlog.typing.FilteringBoundLogger = log.bind(
        method=exc.method, error=exc.error, approval_id=approval_id
    )
    return bound
