"""Approval buttons and modals: ack at once, one call into ``Operations``, explain refusals.

A refusal (not an approver, self-approval, already decided, unknown token) is shown only to
the person who clicked, as an ephemeral message, and changes nothing.
"""

from __future__ import annotations

import json
from typing import Any

import structlog
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from agents.actions.operations import Operations, VoteKind
from agents.kernel.errors import SlackApiFailure
from handlers.approval_blocks import (
    APPROVE_ACTION,
    EDIT_ACTION,
    EDIT_MODAL,
    REASON_BLOCK,
    REASON_INPUT,
    REJECT_ACTION,
    REJECT_MODAL,
    edit_modal,
    parse_button_value,
    reject_modal,
)
from handlers.delivery import call_slack, tell_user

__all__ = ["register_approvals"]

log = structlog.get_logger(__name__)


def _click(body: dict[str, Any]) -> tuple[str, int | None, str, str | None]:
    """(token, edit round, user id, channel id) of a block_actions payload."""
    actions = body.get("actions") or [{}]
    token, edits = parse_button_value(str(actions[0].get("value") or ""))
    user = str((body.get("user") or {}).get("id") or "")
    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get(
        "channel_id"
    )
    return token, edits, user, str(channel) if channel else None


def _metadata(body: dict[str, Any]) -> tuple[str, str | None]:
    view = body.get("view") or {}
    try:
        data = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        data = {}
    channel = data.get("channel")
    return str(data.get("token") or ""), str(channel) if channel else None


async def _explain(client: AsyncWebClient, *, user: str, channel: str | None, text: str) -> None:
    """Tell only ``user`` why nothing happened."""
    await tell_user(client, user=user, channel=channel, text=text, event="refusal_not_shown")


def register_approvals(app: AsyncApp, *, operations: Operations) -> None:
    """Attach the approval button and modal listeners."""

    async def vote(body: dict[str, Any], client: AsyncWebClient, kind: VoteKind) -> None:
        token, edits, user, channel = _click(body)
        outcome = await operations.vote(
            token, user_id=user, channel_id=channel, kind=kind, seen_edits=edits
        )
        if outcome.refusal:
            log.info("approval_click_refused", kind=kind, reason=outcome.refusal)
            await _explain(client, user=user, channel=channel, text=outcome.refusal)

    async def on_approve(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        await vote(body, client, "approve")

    async def on_reject(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        await open_modal(body, client, kind="reject")

    async def on_edit(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        await open_modal(body, client, kind="edit")

    async def open_modal(body: dict[str, Any], client: AsyncWebClient, *, kind: str) -> None:
        token, _edits, user, channel = _click(body)
        outcome = await operations.may_decide(token, user_id=user, channel_id=channel)
        approval = outcome.approval
        if outcome.refusal or approval is None:
            await _explain(client, user=user, channel=channel, text=outcome.refusal or "")
            return
        action = operations.action(approval.action)
        if action is None:  # may_decide refuses unknown actions; keeps the type checker honest
            return
        view = (
            reject_modal(approval, channel_id=channel)
            if kind == "reject"
            else edit_modal(approval, action, channel_id=channel)
        )
        trigger = str(body.get("trigger_id") or "")
        try:
            await call_slack("views.open", lambda: client.views_open(trigger_id=trigger, view=view))
        except SlackApiFailure as exc:
            log.warning("modal_not_opened", error=exc.error)
            await _explain(
                client, user=user, channel=channel, text="Slack did not open the form; try again."
            )

    async def on_reject_submitted(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await ack()
        token, channel = _metadata(body)
        user = str((body.get("user") or {}).get("id") or "")
        values = ((body.get("view") or {}).get("state") or {}).get("values") or {}
        reason = str(((values.get(REASON_BLOCK) or {}).get(REASON_INPUT) or {}).get("value") or "")
        outcome = await operations.vote(
            token, user_id=user, channel_id=channel, kind="reject", reason=reason
        )
        if outcome.refusal:
            await _explain(client, user=user, channel=channel, text=outcome.refusal)

    async def on_edit_submitted(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await ack()
        token, channel = _metadata(body)
        user = str((body.get("user") or {}).get("id") or "")
        values = ((body.get("view") or {}).get("state") or {}).get("values") or {}
        raw = {
            block_id.removeprefix("param:"): str((inputs.get("value") or {}).get("value") or "")
            for block_id, inputs in values.items()
            if block_id.startswith("param:")
        }
        outcome = await operations.edit(
            token, user_id=user, channel_id=channel, raw={k: v for k, v in raw.items() if v}
        )
        if outcome.refusal:
            await _explain(client, user=user, channel=channel, text=outcome.refusal)

    app.action(APPROVE_ACTION)(on_approve)
    app.action(REJECT_ACTION)(on_reject)
    app.action(EDIT_ACTION)(on_edit)
    app.view(REJECT_MODAL)(on_reject_submitted)
    app.view(EDIT_MODAL)(on_edit_submitted)
