"""Running the bot until SIGTERM/SIGINT: HTTP mode (aiohttp) or Socket Mode.

Shutdown is graceful: stop taking requests, let running turns finish (bounded), close.
Anything cut short stays claimed in storage and is recovered on the next start.
"""

from __future__ import annotations

import asyncio
import signal

import structlog
from aiohttp import web

from bot.runtime import Runtime
from bot.server import build_web_app

__all__ = ["HttpServer", "serve_http", "serve_socket_mode", "stop_on_signals"]

log = structlog.get_logger(__name__)


def stop_on_signals() -> asyncio.Event:
    """An event set by SIGTERM or SIGINT."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    return stop


class HttpServer:
    """The aiohttp site serving a runtime; ``port`` is known after :meth:`start`."""

    def __init__(self, runtime: Runtime, *, host: str, port: int, slack: bool = True) -> None:
        """``slack=False`` (Socket Mode): health, readiness, metrics (and PagerDuty webhooks)."""
        self._runtime = runtime
        self._host = host
        self._requested_port = port
        self._runner = web.AppRunner(build_web_app(runtime, slack=slack), access_log=None)
        self._set_up = False
        self.port = port

    async def start(self) -> None:
        """Listen, then start the runtime (recovery runs once the endpoint is up)."""
        await self._runner.setup()
        self._set_up = True
        site = web.TCPSite(self._runner, self._host, self._requested_port)
        await site.start()
        # aiohttp exposes the bound port (needed for --port 0) only on the runner's addresses.
        addresses = self._runner.addresses
        if addresses:
            self.port = int(addresses[0][1])
        await self._runtime.start()
        log.info("http_listening", host=self._host, port=self.port)

    async def close(self) -> None:
        """Stop accepting requests, then close the runtime."""
        if self._set_up:
            await self._runner.cleanup()
        await self._runtime.close()


async def serve_http(runtime: Runtime, *, host: str, port: int) -> None:
    """Serve HTTP until a stop signal."""
    stop = stop_on_signals()
    server = HttpServer(runtime, host=host, port=port)
    try:
        await server.start()
        await stop.wait()
        log.info("shutdown_requested")
    finally:
        await server.close()


async def serve_socket_mode(runtime: Runtime, *, host: str, port: int) -> None:
    """Connect over Socket Mode until a stop signal; serve health, readiness and metrics
    over HTTP on ``host:port`` meanwhile."""
    from bot.socket_mode import SocketModeHandler  # Socket Mode's client: only in this mode

    stop = stop_on_signals()
    handler = SocketModeHandler(runtime.app, runtime.settings.secret("slack_app_token"))
    server = HttpServer(runtime, host=host, port=port, slack=False)
    try:
        await handler.connect_async()  # type: ignore[no-untyped-call]
        await server.start()  # starts the runtime too
        log.info("socket_mode_connected", metrics_port=server.port)
        await stop.wait()
        log.info("shutdown_requested")
    finally:
        await handler.close_async()  # type: ignore[no-untyped-call]
        await server.close()
