"""The ``/ops`` listener: hand the claimed command to the runner and return (the ack is sent).

Thin on purpose: parsing and claiming happen in middleware, the work in ``TurnRunner``. A
claimed message event (a mention, a DM, a thread reply) never reaches a listener: the claim's
middleware starts its turn and acks it (:class:`handlers.middleware.ClaimDelivery`).
Listeners are module-level (a class's methods over the one dependency they use), so each can
be called alone in a test; :func:`register` only attaches them.
"""

from __future__ import annotations

from typing import Any

import structlog
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.error import BoltUnhandledRequestError

from agents.kernel.models import Inbound
from agents.memory.erasure import Erasure
from handlers.bookkeeping import Bookkeeping
from handlers.middleware import ClaimDelivery, DeliveryMeter, LogContext
from handlers.ports import Participation
from handlers.stopping import StopListener
from handlers.turns import TurnRunner

__all__ = ["OPS_COMMAND", "MessageListeners", "on_error", "register"]

log = structlog.get_logger(__name__)

OPS_COMMAND = "/ops"


class MessageListeners:
    """``/ops``: each claimed command becomes a turn."""

    def __init__(self, runner: TurnRunner) -> None:
        self._runner = runner

    async def on_ops(self, ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext) -> None:
        """``/ops``: ack at once (Slack waits 3 s), then answer through the response URL."""
        await ack()
        inbound = context.get("inbound")
        if isinstance(inbound, Inbound):
            response_url = body.get("response_url")
            self._runner.submit(
                inbound, response_url=response_url if isinstance(response_url, str) else None
            )


async def on_error(error: Exception, body: dict[str, Any]) -> None:
    """Bolt's error handler: one log line with the payload's type, never the payload.

    A request no listener matched is no failure: Slack sends things the app ignores
    (a closed modal, a shortcut it never declared); Bolt answers it 404, the edge acks it.
    """
    if isinstance(error, BoltUnhandledRequestError):
        log.info("slack_request_ignored", payload_type=_payload_type(body))
        return
    log.error(
        "listener_failed",
        error_type=type(error).__name__,
        error=str(error)[:300],
        payload_type=_payload_type(body),
    )


def _payload_type(body: dict[str, Any]) -> str | None:
    kind = body.get("type") or ("slash_command" if "command" in body else None)
    return kind if isinstance(kind, str) else None


def register(
    app: AsyncApp,
    *,
    runner: TurnRunner,
    book: Bookkeeping,
    participation: Participation,
    erasure: Erasure,
    meter: DeliveryMeter | None = None,
) -> None:
    """Attach Switchboard's middleware, message listeners and error handler to a Bolt app."""
    app.middleware(LogContext())
    app.middleware(
        ClaimDelivery(
            book, start=runner.submit, participation=participation, erasure=erasure, meter=meter
        )
    )
    listeners = MessageListeners(runner)
    app.command(OPS_COMMAND)(listeners.on_ops)
    app.event("agent_session_stopped")(StopListener(runner.running).on_stopped)
    app.error(on_error)
