"""Incident listeners: the role controls on a summary card, and 📌 reactions and pins in
incident channels.

Each parses its payload, makes one call into the domain (:class:`~agents.incidents.roles.Roles`
checks who may do what, :class:`~agents.incidents.timeline.Pins` keeps a message once) and
shows a refusal to the clicker only. Reaction and pin events are not claimed in the event
ledger (:mod:`handlers.middleware` passes them on): a duplicate delivery finds its message
on the timeline already.
"""

from __future__ import annotations

import re
from typing import Any

import structlog
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from agents.incidents.ports import SlackMessage
from agents.incidents.roles import RoleClick, Roles
from agents.incidents.timeline import PIN_REACTION, Pins
from agents.kernel.errors import SlackApiFailure
from handlers.incident_blocks import ASSIGN_PREFIX, TAKE_PREFIX, parse_role_action
from handlers.interactivity import parse_click
from handlers.slack_calls import call_slack, tell_user

__all__ = ["IncidentListeners", "pinned_message", "refuse_click", "register_incidents"]

log = structlog.get_logger(__name__)


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def pinned_message(event: dict[str, Any]) -> tuple[str, str, SlackMessage | None] | None:
    """(channel, ts, the message if the event carries it) of a ``reaction_added`` with 📌
    or a ``pin_added`` on a message; None for anything else."""
    item = event.get("item")
    if not isinstance(item, dict) or item.get("type") != "message":
        return None
    if event.get("type") == "reaction_added":
        if event.get("reaction") != PIN_REACTION:
            return None
        channel, ts = _text(item.get("channel")), _text(item.get("ts"))
        return (channel, ts, None) if channel and ts else None
    message = item.get("message")
    if event.get("type") != "pin_added" or not isinstance(message, dict):
        return None
    channel = _text(item.get("channel")) or _text(event.get("channel_id"))
    ts = _text(message.get("ts"))
    if not (channel and ts):
        return None
    author = _text(message.get("user")) or _text(message.get("bot_id"))
    return channel, ts, SlackMessage(ts=ts, user_id=author, text=_text(message.get("text")))


async def refuse_click(
    client: AsyncWebClient, *, user: str, channel: str | None, text: str
) -> None:
    """Tell the clicker why not: ephemeral in the channel, or in their DM when Slack will
    not show an ephemeral there (the clicker is not in the channel)."""
    try:
        await call_slack(
            "chat.postEphemeral",
            lambda: client.chat_postEphemeral(channel=channel or user, user=user, text=text),
        )
    except SlackApiFailure:
        await tell_user(client, user=user, channel=None, text=text, event="incident_refusal_lost")


class IncidentListeners:
    """Role clicks and pins, over the domain's ``Roles`` and ``Pins``."""

    def __init__(self, roles: Roles, pins: Pins) -> None:
        self._roles = roles
        self._pins = pins

    async def on_role(self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        """A role button or person picker on a summary card."""
        await ack()
        click = parse_click(body)
        parsed = parse_role_action(
            click.action_id,
            value=click.value,
            block_id=click.block_id,
            selected_user=click.selected_user,
            user_id=click.user_id,
        )
        if parsed is None:
            log.warning("payload_malformed", kind="incident_role")
            return
        role, assignee, incident_id = parsed
        refusal = await self._roles.assign(
            RoleClick(
                team_id=click.team_id,
                channel_id=click.channel_id or "",
                message_ts=click.message_ts,
                user_id=click.user_id,
                incident_id=incident_id,
                role=role,
                assignee=assignee,
            )
        )
        if refusal:
            log.info("incident_role_refused", role=role)
            await refuse_click(client, user=click.user_id, channel=click.channel_id, text=refusal)

    async def on_pin(self, event: dict[str, Any], body: dict[str, Any]) -> None:
        """``reaction_added`` (📌 only) or ``pin_added``: the message joins the timeline."""
        found = pinned_message(event)
        team_id = _text(body.get("team_id"))
        if found is None or not team_id:
            return
        channel, ts, message = found
        await self._pins.pinned(team_id=team_id, channel_id=channel, ts=ts, message=message)


def register_incidents(app: AsyncApp, *, roles: Roles, pins: Pins) -> None:
    """Attach the role controls and the pin listeners."""
    listeners = IncidentListeners(roles, pins)
    pattern = f"^({re.escape(TAKE_PREFIX)}|{re.escape(ASSIGN_PREFIX)})"
    app.action(re.compile(pattern))(listeners.on_role)
    app.event("reaction_added")(listeners.on_pin)
    app.event("pin_added")(listeners.on_pin)
