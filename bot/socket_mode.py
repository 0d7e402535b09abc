"""Bolt's Socket Mode adapter with the edge's checks: what HTTP mode answers 400 is acked and
dropped here, and what no listener handles is acked, never left unacked.

Slack redelivers an envelope it sees no ack for, so an envelope Bolt cannot dispatch (it
raises, or answers 404 and the adapter sends nothing) would come back again and again.
"""

from __future__ import annotations

import time

import structlog
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_bolt.adapter.socket_mode.async_internals import (
    run_async_bolt_app,
    send_async_response,
)
from slack_bolt.response import BoltResponse
from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse

from handlers.envelope import envelope_kind

__all__ = ["SocketModeHandler"]

log = structlog.get_logger(__name__)

_UNHANDLED = 404
"""Bolt's status for a request no listener matched (its error handler logged it)."""


class SocketModeHandler(AsyncSocketModeHandler):
    """Dispatches each envelope's payload through Bolt once :mod:`handlers.envelope` accepts
    it; acks every envelope either way."""

    async def handle(  # type: ignore[override]
        self, client: SocketModeClient, req: SocketModeRequest
    ) -> None:
        """Check, dispatch and ack one envelope (the SDK calls this per envelope)."""
        started = time.time()
        payload = req.payload
        if not isinstance(payload, dict) or envelope_kind(payload) is None:
            log.warning("slack_request_rejected", reason="malformed_body", via="socket_mode")
            await client.send_socket_mode_response(SocketModeResponse(envelope_id=req.envelope_id))
            return
        response: BoltResponse = await run_async_bolt_app(self.app, req)
        if response.status == _UNHANDLED:
            response = BoltResponse(status=200, body="")
        await send_async_response(client, req, response, started)
