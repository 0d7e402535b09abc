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
from handlers.blocks import ROUTE_CHOICE_PREFIX, choice_made_blocks, parse_choice_value
from handlers.bookkeeping import Bookkeeping
from handlers.interactivity import Click, parse_click
from handlers.slack_calls import call_slack, tell_user
from handlers.turns import TurnRunner

__all__ = ["RouteChoices", "register_routing"]

log = structlog.get_logger(__name__)


class RouteChoices:
    """A click on one of the ask-back buttons becomes a turn for the chosen agent."""

    def __init__(self, runner: TurnRunner, *, book: Bookkeeping) -> None:
        self._runner = runner
        self._book = book

    async def on_choice(self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        """Claim the choice, mark the ask-back message answered, and run the turn."""
        await ack()
        click = parse_click(body)
        parsed = parse_choice_value(click.value)
        user, channel, message_ts = click.user_id, click.channel_id or "", click.message_ts
        if parsed is None or not (user and channel and message_ts):
            log.warning("route_choice_malformed")
            return
        agent, asker, asked = parsed
        if user != asker:
            await tell_user(
                client,
                user=user,
                channel=channel,
                text=f"Only <@{asker}> can choose.",
                event="route_choice_refusal_not_shown",
            )
            return
        inbound = self._inbound(click, agent=agent, asked=asked)
        if not await self._book.claim(inbound):
            log.info("route_choice_duplicate")
            return
        log.info("route_chosen", agent=agent, trace_id=inbound.trace_id)
        if not click.ephemeral:
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
        self._runner.submit(inbound, response_url=click.response_url)

    def _inbound(self, click: Click, *, agent: str, asked: str) -> Inbound:
        """The chosen agent's turn: the asked message, prefixed with the agent's name."""
        channel = click.channel_id or ""
        return Inbound(
            team_id=click.team_id,
            channel_id=channel,
            user_id=click.user_id,
            text=f"{agent}: {asked}",
            source="command" if click.ephemeral else "thread",
            event_id=f"choice:{channel}:{click.message_ts}",
            trace_id=uuid.uuid4().hex,
            received_at=self._book.clock.now(),
            thread_ts=None if click.ephemeral else (click.thread_ts or click.message_ts),
        )


def register_routing(app: AsyncApp, *, runner: TurnRunner, book: Bookkeeping) -> None:
    """Handle clicks on the route-choice buttons."""
    choices = RouteChoices(runner, book=book)
    app.action(re.compile("^" + re.escape(ROUTE_CHOICE_PREFIX)))(choices.on_choice)
