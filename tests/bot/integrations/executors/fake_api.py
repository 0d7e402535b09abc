"""A scripted HTTP API on an ephemeral port: answers each path from a list of responses and
records every request it got."""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass(frozen=True)
class Scripted:
    """One canned answer; ``delay`` seconds before it (the request stays open meanwhile);
    ``text`` is a raw body, sent instead of ``json``."""

    status: int = 200
    json: Any = None
    text: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass(frozen=True)
class Seen:
    """One request the fake API got."""

    method: str
    raw_path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class FakeApi:
    """Answers ``path`` with its scripted responses in order (the last one repeats)."""

    def __init__(self) -> None:
        self.scripts: dict[str, list[Scripted]] = {}
        self.seen: list[Seen] = []
        self.base_url = ""
        self._runner: web.AppRunner | None = None
        self._closing = asyncio.Event()

    def script(self, path: str, *responses: Scripted) -> str:
        """Script ``path``; return its full URL."""
        self.scripts[path] = list(responses)
        return self.base_url + path

    async def _handle(self, request: web.Request) -> web.Response:
        self.seen.append(
            Seen(request.method, request.raw_path, dict(request.headers), await request.read())
        )
        queue = self.scripts.get(request.path) or [Scripted(404)]
        answer = queue.pop(0) if len(queue) > 1 else queue[0]
        if answer.delay:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), answer.delay)
        body = json.dumps(answer.json) if answer.json is not None else answer.text
        return web.Response(
            status=answer.status,
            text=body,
            content_type="application/json" if answer.json is not None else None,
            headers=answer.headers,
        )

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.base_url = f"http://127.0.0.1:{port}"

    async def close(self) -> None:
        self._closing.set()
        if self._runner is not None:
            await self._runner.cleanup()
