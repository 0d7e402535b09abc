"""The paging buttons on an incident's summary card: a click, checked by the domain
(:class:`~agents.incidents.page_buttons.PageButtons`), becomes the turn a person would start by
typing the command in the card's thread, so the approval card is answered there and every
gate of a typed page applies (who may request, approval, quorum, one job).

The click is claimed like any delivery (``page:<channel>:<card ts>:<trigger id>``): Slack
sending the same interaction twice runs one turn. Refusals are shown to the clicker only.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import structlog
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from agents.incidents.page_buttons import PageButtons, PageClick
from agents.kernel.models import Inbound
from handlers.bookkeeping import Bookkeeping
from handlers.incident_blocks import PAGE_PREFIX, parse_page_action
from handlers.incidents import refuse_click
from handlers.interactivity import parse_click
from handlers.turns import TurnRunner

__all__ = ["PageButtonListener", "register_incident_paging"]

log = structlog.get_logger(__name__)


class PageButtonListener:
    """Paging clicks, over the domain's check and the turn runner."""

    def __init__(self, buttons: PageButtons, runner: TurnRunner, *, book: Bookkeeping) -> None:
        self._buttons = buttons
        self._runner = runner
        self._book = book

    async def on_page(self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        """Check the click, claim it, and run the command it stands for as the clicker."""
        await ack()
        click = parse_click(body)
        parsed = parse_page_action(click.action_id, value=click.value)
        channel = click.channel_id or ""
        if parsed is None or not click.trigger_id:
            log.warning("payload_malformed", kind="incident_page")
            return
        event, service, incident_id = parsed
        checked = await self._buttons.command(
            PageClick(
                team_id=click.team_id,
                channel_id=channel,
                message_ts=click.message_ts,
                user_id=click.user_id,
                incident_id=incident_id,
                event=event,
                service=service,
            )
        )
        if isinstance(checked, str):
            log.info("incident_page_refused", page_event=event)
            await refuse_click(client, user=click.user_id, channel=channel, text=checked)
            return
        incident, text = checked
        inbound = Inbound(
            team_id=click.team_id,
            channel_id=channel,
            user_id=click.user_id,
            text=text,
            source="thread",
            event_id=f"page:{channel}:{click.message_ts}:{click.trigger_id}",
            trace_id=uuid.uuid4().hex,
            received_at=self._book.clock.now(),
            thread_ts=incident.card_ts,
        )
        if not await self._book.claim(inbound):
            log.info("incident_page_duplicate")
            return
        log.info("incident_page_clicked", page_event=event, trace_id=inbound.trace_id)
        self._runner.submit(inbound)


def register_incident_paging(
    app: AsyncApp, *, buttons: PageButtons, runner: TurnRunner, book: Bookkeeping
) -> None:
    """Handle clicks on the paging buttons."""
    listener = PageButtonListener(buttons, runner, book=book)
    app.action(re.compile("^" + re.escape(PAGE_PREFIX)))(listener.on_page)
