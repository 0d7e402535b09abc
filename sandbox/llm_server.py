"""A scripted LLM server: OpenAI chat completions and Anthropic Messages on one local port.

Tests and the demo script what "the model" says as neutral steps (:mod:`sandbox.llm_steps`:
``reply``, ``tool_call``, ``error``, ``delay``, ``malformed``); each request takes the next
step and gets it in the wire format of the endpoint it called (:mod:`sandbox.llm_wire`):

* ``POST /v1/chat/completions`` (OpenAI-compatible; base URL :attr:`openai_base_url`),
* ``POST /v1/messages`` (Anthropic; base URL :attr:`anthropic_base_url`).

When the script runs out, a :attr:`ScriptedLLMServer.responder` (a callable from the request's
JSON body to a step, e.g. a "compromised model" that always asks for the same tool) answers;
without one, :attr:`ScriptedLLMServer.when_empty` does (a 500 "script exhausted", so a test
that calls more often than it scripted fails loudly). A request the real API would refuse
(no model, no messages; for Anthropic no ``max_tokens`` or ``anthropic-version``; the wrong
key when one is set) is answered 400/401 without taking a step. Every request is recorded
(without its credentials) and can be awaited. Example::

    async with ScriptedLLMServer() as llm:
        llm.script(tool_call("restart", {"service": "api"}), reply("Restarted."))
        ...  # point an adapter at llm.openai_base_url
        first, second = await llm.wait_for_requests(2)
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from aiohttp import web

from sandbox.llm_steps import SCRIPT_EXHAUSTED, Delay, ErrorStep, Malformed, Step
from sandbox.llm_wire import Flavour, anthropic_body, error_response, invalid, openai_body
from sandbox.records import JSON
from sandbox.serving import LocalServer, serve_app

__all__ = ["LLMRequest", "ScriptedLLMServer"]

_CREDENTIAL_HEADERS = frozenset({"authorization", "x-api-key", "api-key"})


@dataclass(frozen=True, slots=True)
class LLMRequest:
    """One request the server got.

    Attributes:
        headers: without ``Authorization``, ``x-api-key`` and ``api-key``.
        body: the decoded JSON body (``None`` when it was not a JSON object).
        at: ``time.monotonic()`` when it arrived.
    """

    flavour: Flavour
    path: str
    headers: Mapping[str, str]
    body: JSON | None
    at: float


@dataclass(slots=True, eq=False)
class _Waiter:
    count: int
    future: asyncio.Future[list[LLMRequest]] = field(repr=False)


class ScriptedLLMServer(LocalServer):
    """The server (see the module docstring); on 127.0.0.1 and an ephemeral port.

    Args:
        api_key: when set, requests must carry it (``Authorization: Bearer``, ``x-api-key``
            or Azure's ``api-key``); others get 401 without taking a step.
        responder: answers when the script is empty.
        when_empty: answers when the script is empty and there is no responder.
    """

    def __init__(
        self,
        *,
        api_key: str | None = None,
        responder: Callable[[JSON], Step] | None = None,
        when_empty: Step = SCRIPT_EXHAUSTED,
    ) -> None:
        self.api_key = api_key
        self.responder = responder
        self.when_empty = when_empty
        self._steps: list[Step] = []
        self._requests: list[LLMRequest] = []
        self._waiters: list[_Waiter] = []
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._closing = asyncio.Event()

    # -- life cycle

    async def start(self) -> None:
        """Listen on 127.0.0.1 and an ephemeral port."""
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._openai)
        app.router.add_post("/v1/messages", self._anthropic)
        self._runner, self._port = await serve_app(app, "127.0.0.1", 0)

    async def close(self) -> None:
        """Stop serving; delayed answers are cut short."""
        self._closing.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        for waiter in self._waiters:
            waiter.future.cancel()
        self._waiters.clear()

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        if self._port is None:
            raise RuntimeError("the LLM server is not started")
        return f"http://127.0.0.1:{self._port}"

    @property
    def openai_base_url(self) -> str:
        """The base URL an OpenAI client takes (``.../v1``)."""
        return f"{self.base_url}/v1"

    @property
    def anthropic_base_url(self) -> str:
        """The base URL an Anthropic client takes (it adds ``/v1/messages``)."""
        return self.base_url

    # -- script and records

    def script(self, *steps: Step) -> None:
        """Queue ``steps``, answered in order, one per request."""
        self._steps.extend(steps)

    @property
    def pending(self) -> int:
        """Steps not yet taken."""
        return len(self._steps)

    @property
    def requests(self) -> list[LLMRequest]:
        """Every request so far, in arrival order (a copy)."""
        return list(self._requests)

    async def wait_for_requests(self, count: int, *, timeout: float = 5.0) -> list[LLMRequest]:
        """The first ``count`` requests, once they have arrived.

        Raises:
            TimeoutError: fewer arrived within ``timeout`` seconds.
        """
        if len(self._requests) >= count:
            return self._requests[:count]
        future: asyncio.Future[list[LLMRequest]] = asyncio.get_running_loop().create_future()
        waiter = _Waiter(count, future)
        self._waiters.append(waiter)
        try:
            async with asyncio.timeout(timeout):
                return await future
        except TimeoutError:
            raise TimeoutError(
                f"{len(self._requests)} of {count} LLM requests within {timeout:g}s"
            ) from None
        finally:
            with contextlib.suppress(ValueError):
                self._waiters.remove(waiter)

    def _record(self, request: LLMRequest) -> None:
        self._requests.append(request)
        for waiter in list(self._waiters):
            if len(self._requests) >= waiter.count and not waiter.future.done():
                waiter.future.set_result(self._requests[: waiter.count])

    # -- handlers

    async def _openai(self, request: web.Request) -> web.Response:
        return await self._serve(request, "openai")

    async def _anthropic(self, request: web.Request) -> web.Response:
        return await self._serve(request, "anthropic")

    async def _serve(self, request: web.Request, flavour: Flavour) -> web.Response:
        raw = await request.read()
        try:
            decoded = json.loads(raw)
        except ValueError:
            decoded = None
        body = decoded if isinstance(decoded, dict) else None
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _CREDENTIAL_HEADERS}
        self._record(LLMRequest(flavour, request.path, headers, body, time.monotonic()))
        if not self._authorized(request):
            return error_response(flavour, ErrorStep(401, message="invalid API key"), ids=self._ids)
        problem = invalid(flavour, body, request.headers)
        if problem is not None or body is None:
            return error_response(
                flavour, ErrorStep(400, message=problem or "body is not JSON"), ids=self._ids
            )
        step = self._next(body)
        while isinstance(step, Delay):
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), step.seconds)
            step = step.then
        if isinstance(step, ErrorStep):
            return error_response(flavour, step, ids=self._ids)
        if isinstance(step, Malformed):
            return web.Response(status=200, text=step.body, content_type="application/json")
        model = str(body.get("model", "scripted-model"))
        if flavour == "openai":
            return web.json_response(openai_body(step, model=model, ids=self._ids))
        return web.json_response(anthropic_body(step, model=model, ids=self._ids))

    def _authorized(self, request: web.Request) -> bool:
        if self.api_key is None:
            return True
        offered = {
            request.headers.get("Authorization"),
            request.headers.get("x-api-key"),
            request.headers.get("api-key"),  # Azure's header
        }
        return f"Bearer {self.api_key}" in offered or self.api_key in offered

    def _next(self, body: JSON) -> Step:
        if self._steps:
            return self._steps.pop(0)
        if self.responder is not None:
            return self.responder(body)
        return self.when_empty
