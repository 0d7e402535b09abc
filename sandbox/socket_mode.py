"""Socket Mode: the WebSocket endpoint ``apps.connections.open`` hands out, envelopes sent
down it and the client's acks awaited.

Each connection gets Slack's ``hello``. Envelopes go to the newest live connection; one that
was asked to refresh (``disconnect``) gets no more. With no connection, a send waits for one
as long as it would wait for the ack, as Slack holds events while an app reconnects.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from dataclasses import dataclass
from typing import Any

import structlog
from aiohttp import WSCloseCode, WSMsgType, web

from sandbox.ids import IdFactory
from sandbox.records import JSON

__all__ = ["Ack", "SocketHub"]

log = structlog.get_logger(__name__)

# Resolved with (raw text, decoded ack), or None when the connection closed first.
_AckFuture = asyncio.Future[tuple[str, JSON] | None]


@dataclass(frozen=True, slots=True)
class Ack:
    """What became of one envelope sent down the socket."""

    acked: bool
    raw: str
    payload: dict[str, Any] | None
    elapsed: float
    error: str | None


class SocketHub:
    """The sandbox's Socket Mode server side.

    Args:
        app_id: The app's id (in ``hello`` and the URL).
        ids: Where tickets come from.
    """

    def __init__(self, *, app_id: str, ids: IdFactory) -> None:
        self._app_id = app_id
        self._ids = ids
        self.ws_base = ""
        self._tickets: set[str] = set()
        self._live: list[web.WebSocketResponse] = []  # deliverable, newest last
        self._open: set[web.WebSocketResponse] = set()
        self._pending: dict[str, tuple[_AckFuture, web.WebSocketResponse]] = {}
        self._any_live = asyncio.Event()
        self.connections_total = 0

    @property
    def connected(self) -> bool:
        """Whether a client is connected and deliverable."""
        return bool(self._live)

    def issue_url(self) -> str:
        """A fresh single-use WebSocket URL for ``apps.connections.open``."""
        ticket = self._ids.uuid()
        self._tickets.add(ticket)
        return f"{self.ws_base}/socket?ticket={ticket}&app_id={self._app_id}"

    def _set_live(self) -> None:
        if self._live:
            self._any_live.set()
        else:
            self._any_live.clear()

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """Serve ``GET /socket?ticket=...``: upgrade, say hello, read acks until closed."""
        ticket = request.query.get("ticket", "")
        if ticket not in self._tickets:
            return web.Response(status=401, text="invalid_ticket")
        self._tickets.discard(ticket)
        # autoping answers the SDK's pings; a short close timeout keeps close() prompt.
        ws = web.WebSocketResponse(autoping=True, timeout=2.0)
        await ws.prepare(request)
        self._open.add(ws)
        self._live.append(ws)
        self.connections_total += 1
        self._set_live()
        log.debug("socket_connected", connections=len(self._live))
        try:
            await ws.send_json(self._hello())
            async for message in ws:
                if message.type == WSMsgType.TEXT:
                    self._on_text(message.data)
        finally:
            self._forget(ws)
        return ws

    def _hello(self) -> JSON:
        return {
            "type": "hello",
            "num_connections": len(self._live),
            "debug_info": {
                "host": "sandbox",
                "build_number": 1,
                "approximate_connection_time": 18060,
            },
            "connection_info": {"app_id": self._app_id},
        }

    def _forget(self, ws: web.WebSocketResponse) -> None:
        self._open.discard(ws)
        if ws in self._live:
            self._live.remove(ws)
        self._set_live()
        for future, owner in self._pending.values():
            if owner is ws and not future.done():
                future.set_result(None)
        log.debug("socket_closed", connections=len(self._live))

    def _on_text(self, data: str) -> None:
        try:
            message: Any = json.loads(data)
        except ValueError:
            return
        if not isinstance(message, dict):
            return
        entry = self._pending.pop(str(message.get("envelope_id")), None)
        if entry is not None and not entry[0].done():
            entry[0].set_result((data, message))

    async def wait_connected(self, timeout: float = 5.0) -> None:
        """Return once a client is connected and deliverable.

        Raises:
            TimeoutError: none connected within ``timeout`` seconds.
        """
        try:
            async with asyncio.timeout(timeout):
                await self._any_live.wait()
        except TimeoutError:
            raise TimeoutError(f"no Socket Mode client connected within {timeout}s") from None

    async def send(self, envelope: JSON, *, ack_timeout: float) -> Ack:
        """Send ``envelope`` to the newest live connection and await its ack (or give up
        after ``ack_timeout`` seconds, waiting for a connection included)."""
        started = time.monotonic()
        envelope_id = str(envelope["envelope_id"])
        answer: tuple[str, JSON] | None = None
        try:
            async with asyncio.timeout(ack_timeout):
                await self._any_live.wait()
                ws = self._live[-1]
                future: _AckFuture = asyncio.get_running_loop().create_future()
                self._pending[envelope_id] = (future, ws)
                await ws.send_str(json.dumps(envelope))
                answer = await future
        except TimeoutError:
            error = "ack_timeout" if self._live else "not_connected"
            return Ack(False, "", None, time.monotonic() - started, error)
        except ConnectionError:
            pass
        finally:
            self._pending.pop(envelope_id, None)
        elapsed = time.monotonic() - started
        if answer is None:  # the connection closed before the ack
            return Ack(False, "", None, elapsed, "connection_failed")
        raw, ack = answer
        payload = ack.get("payload")
        return Ack(True, raw, payload if isinstance(payload, dict) else None, elapsed, None)

    async def disconnect(self, reason: str = "refresh_requested") -> int:
        """Ask every live client to reconnect (Slack's ``disconnect`` message)."""
        live, self._live = self._live, []
        self._set_live()
        message = {"type": "disconnect", "reason": reason, "debug_info": {"host": "sandbox"}}
        for ws in live:
            with contextlib.suppress(ConnectionError):
                await ws.send_json(message)
        return len(live)

    async def close(self) -> None:
        """Close every connection (going away) and fail every pending send."""
        self._tickets.clear()
        for ws in list(self._open):
            with contextlib.suppress(ConnectionError):
                await ws.close(code=WSCloseCode.GOING_AWAY, message=b"sandbox closing")
        for future, _ in self._pending.values():
            if not future.done():
                future.set_result(None)
