"""Global Bolt middleware: log context, bot-echo filter, and the durable claim before the ack.

Bolt runs global middleware in order before any listener, and the Events API ack is sent only
after the dispatch returns, so the claim written here is durable before Slack hears ``200``.
A message event claimed here is also started here and answered with the ``200`` at once:
the listener it would reach only handed it to the runner, and Bolt's listener stage (matching
every listener, an ``ack``, a task for the listener) is the larger half of its dispatch.

Each is a Bolt ``AsyncMiddleware`` (its ``async_process(req=, resp=, next=)``), not a plain
function: Bolt calls a function middleware through its keyword-argument injection, which
builds some thirty candidate arguments (``say``, ``respond``, the payload views...) for every
middleware on every request, on the ack's path.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import KW_ONLY, dataclass
from datetime import datetime
from typing import Any, Protocol

import structlog
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.middleware.async_middleware import AsyncMiddleware
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

from agents.kernel.models import ConversationKey, Inbound
from agents.kernel.tenancy import Tenant, bind_workspace
from agents.memory.erasure import Erasure
from handlers.bookkeeping import Bookkeeping
from handlers.parsing import (
    command_inbound,
    event_candidate,
    event_fields,
    message_change,
    message_inbound,
    strip_mention,
)
from handlers.ports import Participation

__all__ = ["ClaimDelivery", "DeliveryMeter", "LogContext", "request_tenant", "tenant_of"]

log = structlog.get_logger(__name__)

_EDITS = frozenset({"message_changed", "message_deleted"})
_PASSED_ON = frozenset(
    {
        "app_home_opened",
        "agent_session_stopped",
        "assistant_thread_started",
        "assistant_thread_context_changed",
        "app_context_changed",
        "reaction_added",
        "pin_added",
        "app_uninstalled",
        "tokens_revoked",
        "team_access_granted",
        "team_access_revoked",
    }
)
"""Events that are no message for an agent: their own listener handles them, unclaimed
(opening the App Home twice just renders it twice; a second Stop finds the turn stopped; a
message pinned twice is on an incident's timeline once; a workspace removed twice is gone
once, and granted or revoked twice is recorded or forgotten once)."""

Next = Callable[[], Awaitable[Any]]


class DeliveryMeter(Protocol):
    """Counts deliveries (the bot's metrics implement it)."""

    def delivery(self, kind: str, outcome: str) -> None:
        """One delivery of ``kind`` (event, command, action, view, other) ended ``outcome``
        (claimed, duplicate, ignored, malformed, passed)."""
        ...


def _kind(body: dict[str, Any]) -> str:
    if body.get("type") == "event_callback":
        return "event"
    if "command" in body:
        return "command"
    return {"block_actions": "action", "view_submission": "view"}.get(
        str(body.get("type")), "other"
    )


_ACK = 200


def _quiet_ack() -> BoltResponse:
    return BoltResponse(status=_ACK, body="")


def tenant_of(context: AsyncBoltContext) -> Tenant:
    """The workspace (organization) a request is about."""
    return Tenant(
        team_id=context.team_id,
        enterprise_id=context.enterprise_id,
        is_enterprise_install=bool(context.is_enterprise_install),
    )


def request_tenant(body: dict[str, Any], context: AsyncBoltContext) -> Tenant:
    """The workspace a request was made in, within its organization: an event's own
    ``team_id`` (for an org-wide install the authorization names no workspace), else the
    workspace Bolt found (interactivity: ``team.id``)."""
    team = body.get("team_id")
    return Tenant(
        team_id=team if isinstance(team, str) and team else context.team_id,
        enterprise_id=context.enterprise_id,
        is_enterprise_install=bool(context.is_enterprise_install),
    )


class LogContext(AsyncMiddleware):
    """Give the request a trace id and bind team, channel, user and trace id to its logs;
    bind its workspace as the one every Web API call of its work acts for."""

    async def async_process(
        self, *, req: AsyncBoltRequest, resp: BoltResponse, next: Next
    ) -> BoltResponse | None:
        """Bolt middleware entry point."""
        context = req.context
        structlog.contextvars.clear_contextvars()
        bind_workspace(tenant_of(context))
        trace_id = uuid.uuid4().hex
        context["trace_id"] = trace_id
        raw_event = req.body.get("event")
        event: dict[str, Any] = raw_event if isinstance(raw_event, dict) else {}
        structlog.contextvars.bind_contextvars(
            trace_id=trace_id,
            team_id=context.team_id,
            channel_id=context.channel_id or event.get("channel"),
            user_id=context.user_id,
        )
        await next()
        return None


@dataclass(frozen=True, slots=True)
class ClaimDelivery(AsyncMiddleware):
    """Decide whether a delivery is for us, and claim it durably before Slack is acked.

    A claimed message event is handed to ``start`` (the runner) and acked with an empty
    ``200``; a claimed ``/ops`` command goes on to its listener with ``context["inbound"]``
    set (it acks itself and answers through the response URL). Duplicates, bot messages,
    unknown event types and payloads missing fields are acked with an empty ``200`` and go no
    further.
    """

    book: Bookkeeping
    _: KW_ONLY
    start: Callable[[Inbound], None]
    participation: Participation
    erasure: Erasure
    meter: DeliveryMeter | None = None

    def _count(self, body: dict[str, Any], outcome: str) -> None:
        if self.meter is not None:
            self.meter.delivery(_kind(body), outcome)

    async def async_process(
        self, *, req: AsyncBoltRequest, resp: BoltResponse, next: Next
    ) -> BoltResponse | None:
        """Bolt middleware entry point."""
        body: dict[str, Any] = req.body
        context = req.context
        trace_id = str(context["trace_id"])
        now = self.book.clock.now()
        event = body.get("event")
        if isinstance(event, dict) and event.get("type") in _PASSED_ON:
            self._count(body, "passed")
            await next()
            return None
        if body.get("type") == "event_callback":
            inbound = await self._event_inbound(body, context, trace_id=trace_id, now=now)
        elif "command" in body and "trigger_id" in body:
            inbound = command_inbound(body, trace_id=trace_id, now=now)
            if inbound is None:
                log.warning("payload_malformed", kind="slash_command")
                self._count(body, "malformed")
        else:
            # Interactivity and other payload types: later listeners (or Bolt's 404) decide.
            self._count(body, "passed")
            await next()
            return None
        if inbound is None:
            if body.get("type") == "event_callback":
                self._count(body, "ignored")
            return _quiet_ack()
        if not await self.book.claim(inbound):
            log.info("delivery_duplicate", event_id=inbound.event_id)
            self._count(body, "duplicate")
            return _quiet_ack()
        self._count(body, "claimed")
        if body.get("type") == "event_callback":
            self.start(inbound)
            return _quiet_ack()
        context["inbound"] = inbound
        await next()
        return None

    async def _edited(self, team_id: str, event: dict[str, Any], bot_user_id: str | None) -> None:
        """Keep the stored copy true to Slack: an edit replaces it, a deletion erases it (and
        every copy of the old words goes)."""
        change = message_change(event)
        if change is None:
            log.warning("payload_malformed", kind=event.get("subtype"))
            return
        if change.text is None:
            erased = await self.erasure.message_deleted(
                team_id=team_id, channel_id=change.channel, ts=change.ts
            )
            log.info("message_erased", ts=change.ts, records=erased.total)
        else:
            # Stored as a new message would be: without the mention of the bot.
            erased = await self.erasure.message_changed(
                team_id=team_id,
                channel_id=change.channel,
                ts=change.ts,
                text=strip_mention(change.text, bot_user_id),
            )
            log.info("message_edited", ts=change.ts, records=erased.total)

    async def _event_inbound(
        self, body: dict[str, Any], context: AsyncBoltContext, *, trace_id: str, now: datetime
    ) -> Inbound | None:
        event = body.get("event")
        event_id = body.get("event_id")
        team_id = request_tenant(body, context).team_id
        if not isinstance(event, dict) or not isinstance(event_id, str) or not team_id:
            log.warning("payload_malformed", kind="event_callback")
            return None
        if event.get("type") == "message" and event.get("subtype") in _EDITS:
            await self._edited(str(team_id), event, context.bot_user_id)
            return None
        fields = event_fields(event)
        if fields is None:
            if event.get("type") in {"app_mention", "message"}:
                log.warning("payload_malformed", kind=event.get("type"))
            else:
                log.debug("event_ignored", event_type=event.get("type"))
            return None
        kind = event_candidate(fields, bot_user_id=context.bot_user_id)
        if kind == "ignore":
            return None
        if kind == "thread_reply" and not await self.participation.has_conversation(
            ConversationKey(str(team_id), fields.channel, fields.thread_ts or "")
        ):
            return None
        return message_inbound(
            fields,
            kind=kind,
            team_id=str(team_id),
            event_id=event_id,
            trace_id=trace_id,
            bot_user_id=context.bot_user_id,
            now=now,
        )
