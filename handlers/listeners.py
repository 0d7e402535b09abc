"""The Bolt listeners: hand the claimed delivery to the runner and return (the ack is sent).

Thin on purpose: parsing and claiming happen in middleware, the work in ``TurnRunner``.
"""

from __future__ import annotations

from typing import Any

import structlog
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext

from agents.kernel.models import Inbound
from agents.turns.facade import Switchboard
from handlers.middleware import ClaimDelivery, DeliveryMeter, bind_log_context
from handlers.turns import TurnRunner

__all__ = ["OPS_COMMAND", "register"]

log = structlog.get_logger(__name__)

OPS_COMMAND = "/ops"


def register(
    app: AsyncApp,
    *,
    switchboard: Switchboard,
    runner: TurnRunner,
    meter: DeliveryMeter | None = None,
) -> None:
    """Attach Switchboard's middleware, listeners and error handler to a Bolt app."""
    app.middleware(bind_log_context)
    app.middleware(ClaimDelivery(switchboard, meter=meter))

    async def on_message_event(context: AsyncBoltContext) -> None:
        inbound = context.get("inbound")
        if isinstance(inbound, Inbound):
            runner.submit(inbound)

    async def on_ops(ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext) -> None:
        await ack()
        inbound = context.get("inbound")
        if isinstance(inbound, Inbound):
            response_url = body.get("response_url")
            runner.submit(
                inbound, response_url=response_url if isinstance(response_url, str) else None
            )

    async def on_error(error: Exception, body: dict[str, Any]) -> None:
        log.error(
            "listener_failed",
            error_type=type(error).__name__,
            error=str(error)[:300],
            payload_type=body.get("type") or ("slash_command" if "command" in body else None),
        )

    app.event("app_mention")(on_message_event)
    app.event("message")(on_message_event)
    app.command(OPS_COMMAND)(on_ops)
    app.error(on_error)
