"""The "which agent did you mean?" buttons: the asker picks, the message is re-routed.

The click is claimed like any delivery (``choice:<channel>:<message ts>``), so a double click
or a Slack retry runs the turn once. Only the person who asked may choose.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import structlog
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from agents.kernel.errors import SlackApiFailure
from agents.kernel.models import Inbound
from agents.turns.facade import Switchboard
from handlers.blocks import ROUTE_CHOICE_PREFIX, choice_made_blocks, parse_choice_value
from handlers.delivery import call_slack
from handlers.turns import TurnRunner

__all__ = ["register_routing"]

log = structlog.get_logger(__name__)


def register_routing(app: AsyncApp, *, switchboard: Switchboard, runner: TurnRunner) -> None:
    """Handle clicks on the route-choice buttons."""

    async def on_choice(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        action = (body.get("actions") or [{}])[0]
        parsed = parse_choice_value(str(action.get("value") or ""))
        user = str((body.get("user") or {}).get("id") or "")
        container = body.get("container") or {}
        channel = str((body.get("channel") or {}).get("id") or container.get("channel_id") or "")
        message_ts = str(container.get("message_ts") or "")
        team = str((body.get("team") or {}).get("id") or (body.get("user") or {}).get("team_id"))
        if parsed is None or not (user and channel and message_ts):
            log.warning("route_choice_malformed")
            return
        agent, asker, asked = parsed
        if user != asker:
            await _tell(client, channel=channel, user=user, text=f"Only <@{asker}> can choose.")
            return
        ephemeral = bool(container.get("is_ephemeral"))
        message = body.get("message") or {}
        response_url = body.get("response_url")
        inbound = Inbound(
            team_id=team,
            channel_id=channel,
            user_id=user,
            text=f"{agent}: {asked}",
            source="command" if ephemeral else "thread",
            event_id=f"choice:{channel}:{message_ts}",
            trace_id=uuid.uuid4().hex,
            received_at=switchboard.clock.now(),
            thread_ts=None if ephemeral else str(message.get("thread_ts") or message_ts),
        )
        if not await switchboard.claim(inbound):
            log.info("route_choice_duplicate")
            return
        log.info("route_chosen", agent=agent, trace_id=inbound.trace_id)
        if not ephemeral:
            try:
                await call_slack(
                    "chat.update",
                    lambda: client.chat_update(
                        channel=channel,
                        ts=message_ts,
                        text=f"Sent to {agent}.",
                        blocks=choice_made_blocks(agent=agent, user_id=user, asked=asked),
                    ),
                )
            except SlackApiFailure as exc:  # cosmetic: the turn still runs
                log.warning("route_choice_update_failed", error=exc.error)
        runner.submit(inbound, response_url=response_url if isinstance(response_url, str) else None)

    app.action(re.compile("^" + re.escape(ROUTE_CHOICE_PREFIX)))(on_choice)


async def _tell(client: AsyncWebClient, *, channel: str, user: str, text: str) -> None:
    try:
        await call_slack(
            "chat.postEphemeral",
            lambda: client.chat_postEphemeral(channel=channel, user=user, text=text),
        )
    except SlackApiFailure as exc:
        log.warning("route_choice_refusal_not_shown", error=exc.error)
