"""Approval buttons and modals: ack at once, one call into the domain, explain refusals.

A refusal (not an approver, self-approval, already decided, unknown token, a button clicked
anywhere but on its own request's card) is shown only to the person who clicked, as an
ephemeral message, and changes nothing. Every click and form names where it was made (the
channel and message of the card), and the domain counts it only there.
"""

from __future__ import annotations

from typing import Any, Literal

import structlog
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from agents.actions.catalog import ActionCatalog
from agents.actions.decisions import ClickSite, Decisions, VoteKind, VoteOutcome
from agents.kernel.errors import SlackApiFailure
from handlers.approval_blocks import APPROVE_ACTION, EDIT_ACTION, REJECT_ACTION, parse_button_value
from handlers.approval_modals import (
    EDIT_MODAL,
    PARAM_BLOCK_PREFIX,
    PARAM_INPUT,
    REASON_BLOCK,
    REASON_INPUT,
    REJECT_MODAL,
    edit_modal,
    reject_modal,
)
from handlers.interactivity import Click, Submission, parse_click, parse_submission
from handlers.slack_calls import call_slack, tell_user

__all__ = ["ApprovalListeners", "register_approvals"]

log = structlog.get_logger(__name__)


async def _explain(client: AsyncWebClient, *, user: str, channel: str | None, text: str) -> None:
    """Tell only ``user`` why nothing happened."""
    await tell_user(client, user=user, channel=channel, text=text, event="refusal_not_shown")


class ApprovalListeners:
    """The card's buttons and the reject/edit modals."""

    def __init__(self, decisions: Decisions, *, catalog: ActionCatalog) -> None:
        self._decisions = decisions
        self._catalog = catalog

    async def on_approve(self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        """Approve: one vote, checked server-side."""
        await ack()
        await self._vote(parse_click(body), client, "approve")

    async def on_reject(self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        """Reject: open the form asking why (if the clicker may decide)."""
        await ack()
        await self._open_modal(parse_click(body), client, kind="reject")

    async def on_edit(self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        """Edit: open the form with the parameters (if the clicker may decide)."""
        await ack()
        await self._open_modal(parse_click(body), client, kind="edit")

    async def on_reject_submitted(
        self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient
    ) -> None:
        """The rejection form: a reject vote with the reason given."""
        await ack()
        form = parse_submission(body)
        outcome = await self._decisions.vote(
            form.note("token") or "",
            user_id=form.user_id,
            site=_opened_from(form),
            kind="reject",
            reason=form.text(REASON_BLOCK, REASON_INPUT),
        )
        await _explain_refusal(client, form, outcome)

    async def on_edit_submitted(
        self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient
    ) -> None:
        """The edit form: the parameters given (empty inputs left out), votes reset."""
        await ack()
        form = parse_submission(body)
        raw = form.texts(PARAM_BLOCK_PREFIX, PARAM_INPUT)
        outcome = await self._decisions.edit(
            form.note("token") or "",
            user_id=form.user_id,
            site=_opened_from(form),
            raw={k: v for k, v in raw.items() if v},
        )
        await _explain_refusal(client, form, outcome)

    async def _vote(self, click: Click, client: AsyncWebClient, kind: VoteKind) -> None:
        token, edits = parse_button_value(click.value)
        user, channel = click.user_id, click.channel_id
        outcome = await self._decisions.vote(
            token, user_id=user, site=_clicked_at(click), kind=kind, seen_edits=edits
        )
        if outcome.refusal:
            log.info("approval_click_refused", kind=kind, reason=outcome.refusal)
            await _explain(client, user=user, channel=channel, text=outcome.refusal)

    async def _open_modal(
        self, click: Click, client: AsyncWebClient, *, kind: Literal["reject", "edit"]
    ) -> None:
        token, _edits = parse_button_value(click.value)
        user, channel = click.user_id, click.channel_id
        outcome = await self._decisions.may_decide(
            token, user_id=user, site=_clicked_at(click), attempted=kind
        )
        approval = outcome.approval
        if outcome.refusal or approval is None:
            await _explain(client, user=user, channel=channel, text=outcome.refusal or "")
            return
        action = self._catalog.action(approval.action)
        if action is None:  # may_decide refuses unknown actions; keeps the type checker honest
            return
        ts = click.message_ts or None
        view = (
            reject_modal(approval, channel_id=channel, message_ts=ts)
            if kind == "reject"
            else edit_modal(approval, action, channel_id=channel, message_ts=ts)
        )
        trigger = click.trigger_id
        try:
            await call_slack("views.open", lambda: client.views_open(trigger_id=trigger, view=view))
        except SlackApiFailure as exc:
            log.warning("modal_not_opened", error=exc.error)
            await _explain(
                client, user=user, channel=channel, text="Slack did not open the form; try again."
            )


def _clicked_at(click: Click) -> ClickSite:
    """Where a button was clicked: the message that holds it."""
    return ClickSite(click.channel_id, click.message_ts or None, click.team_id or None)


def _opened_from(form: Submission) -> ClickSite:
    """The card a form was opened from (the app wrote it into the form's metadata)."""
    return ClickSite(form.note("channel"), form.note("ts"), form.team_id or None)


async def _explain_refusal(client: AsyncWebClient, form: Submission, outcome: VoteOutcome) -> None:
    """Tell the person who submitted a form why it changed nothing, if it did not."""
    if outcome.refusal:
        await _explain(
            client, user=form.user_id, channel=form.note("channel"), text=outcome.refusal
        )


def register_approvals(app: AsyncApp, *, decisions: Decisions, catalog: ActionCatalog) -> None:
    """Attach the approval button and modal listeners."""
    listeners = ApprovalListeners(decisions, catalog=catalog)
    app.action(APPROVE_ACTION)(listeners.on_approve)
    app.action(REJECT_ACTION)(listeners.on_reject)
    app.action(EDIT_ACTION)(listeners.on_edit)
    app.view(REJECT_MODAL)(listeners.on_reject_submitted)
    app.view(EDIT_MODAL)(listeners.on_edit_submitted)
