"""A tiny stand-in for the bot's HTTP endpoint: verifies Slack signatures with the SDK and
records every request."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web
from slack_sdk.signature import SignatureVerifier

SIGNING_SECRET = "test-signing-secret"


@dataclass(frozen=True)
class Received:
    """One request the receiver got."""

    headers: dict[str, str]
    body: bytes
    signature_ok: bool

    def json(self) -> Any:
        return json.loads(self.body)

    def form(self) -> dict[str, str]:
        return dict(parse_qsl(self.body.decode(), keep_blank_values=True))

    def payload(self) -> Any:
        return json.loads(self.form()["payload"])


Responder = Callable[[Received], Awaitable[web.Response]]


async def ack(received: Received) -> web.Response:
    """Answer like a Bolt app: 401 on a bad signature, the challenge, else an empty 200."""
    if not received.signature_ok:
        return web.Response(status=401)
    if received.headers.get("Content-Type") == "application/json":
        try:
            body = received.json()
        except ValueError:
            return web.Response(status=400)
        if isinstance(body, dict) and body.get("type") == "url_verification":
            return web.json_response({"challenge": body["challenge"]})
    return web.Response(status=200)


class Receiver:
    """The bot's HTTP endpoint: verifies signatures with the SDK and records requests."""

    def __init__(self) -> None:
        self.verifier = SignatureVerifier(SIGNING_SECRET)
        self.received: list[Received] = []
        self.respond: Responder = ack
        self.arrived: asyncio.Queue[Received] = asyncio.Queue()
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        headers = dict(request.headers)
        try:
            valid = self.verifier.is_valid_request(body, headers)
        except UnicodeDecodeError:  # the SDK verifies text bodies only
            valid = False
        received = Received(headers, body, valid)
        self.received.append(received)
        self.arrived.put_nowait(received)
        return await self.respond(received)

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/slack/events", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}/slack/events"

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
