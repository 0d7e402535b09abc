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

A request with ``"stream": true`` gets a reply or tool call as the vendor's server-sent events
(:mod:`sandbox.llm_events`), paced and faulted as the step's
:class:`~sandbox.llm_steps.Streaming` says (:mod:`sandbox.llm_stream`); an error step is still
a status before any event, as the real APIs answer. Each stream's end is recorded
(:meth:`~ScriptedLLMServer.wait_for_streams`), a client that closes the connection mid-stream
included; a stream held by a ``hang_after`` fault can be awaited
(:meth:`~ScriptedLLMServer.wait_for_hangs`) and goes on after
:meth:`~ScriptedLLMServer.release`::

    llm.script(reply("Restarting api now.", stream=Streaming(fault=hang_after(2))))
    ...  # start the streamed call in a task, await its second piece
    await llm.wait_for_hangs(1)
    task.cancel()
    (ended,) = await llm.wait_for_streams(1)
    assert ended.outcome == "disconnected"
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from collections.abc import Callable

from aiohttp import web

from sandbox.faults import HangGate
from sandbox.llm_events import anthropic_frames, malformed_frame, openai_frames
from sandbox.llm_records import Arrivals, LLMRequest, StreamOutcome, StreamRecord
from sandbox.llm_steps import (
    SCRIPT_EXHAUSTED,
    Delay,
    ErrorStep,
    Malformed,
    Reply,
    Step,
    Streaming,
    ToolCalls,
)
from sandbox.llm_stream import EVENT_STREAM, StreamPlayer
from sandbox.llm_wire import Flavour, anthropic_body, error_response, invalid, openai_body
from sandbox.records import JSON
from sandbox.serving import LocalServer, serve_app

__all__ = ["LLMRequest", "ScriptedLLMServer", "StreamOutcome", "StreamRecord"]

_CREDENTIAL_HEADERS = frozenset({"authorization", "x-api-key", "api-key"})


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
        self._requests = Arrivals[LLMRequest]("LLM requests")
        self._streams = Arrivals[StreamRecord]("LLM streams ended")
        self._hangs = Arrivals[LLMRequest]("LLM streams hanging")
        self._gate = HangGate()
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._closing = asyncio.Event()

    # -- life cycle

    async def start(self) -> None:
        """Listen on 127.0.0.1 and an ephemeral port."""
        # a client that closes the connection cancels its handler, as it would a real
        # server's work: a stream then ends as "disconnected"
        app = web.Application(handler_args={"handler_cancellation": True})
        app.router.add_post("/v1/chat/completions", self._openai)
        app.router.add_post("/v1/messages", self._anthropic)
        self._runner, self._port = await serve_app(app, "127.0.0.1", 0)

    async def close(self) -> None:
        """Stop serving; delayed answers, paced and hung streams are cut short."""
        self._closing.set()
        self._gate.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        for arrivals in (self._requests, self._streams, self._hangs):
            arrivals.cancel()

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
        return list(self._requests.items)

    async def wait_for_requests(self, count: int, *, timeout: float = 5.0) -> list[LLMRequest]:
        """The first ``count`` requests, once they have arrived.

        Raises:
            TimeoutError: fewer arrived within ``timeout`` seconds.
        """
        return await self._requests.wait(count, timeout)

    @property
    def streams(self) -> list[StreamRecord]:
        """Every stream that has ended, in the order they ended (a copy)."""
        return list(self._streams.items)

    async def wait_for_streams(self, count: int, *, timeout: float = 5.0) -> list[StreamRecord]:
        """The first ``count`` streams to end, once they have.

        Raises:
            TimeoutError: fewer ended within ``timeout`` seconds.
        """
        return await self._streams.wait(count, timeout)

    async def wait_for_hangs(self, count: int = 1, *, timeout: float = 5.0) -> list[LLMRequest]:
        """The requests of the first ``count`` streams a ``hang_after`` fault held.

        Raises:
            TimeoutError: fewer were held within ``timeout`` seconds.
        """
        return await self._hangs.wait(count, timeout)

    @property
    def hanging(self) -> int:
        """How many streams a ``hang_after`` fault holds now."""
        return self._gate.held

    def release(self) -> int:
        """Let every stream held now go on to its end; returns how many."""
        return self._gate.release()

    # -- handlers

    async def _openai(self, request: web.Request) -> web.StreamResponse:
        return await self._serve(request, "openai")

    async def _anthropic(self, request: web.Request) -> web.StreamResponse:
        return await self._serve(request, "anthropic")

    async def _serve(self, request: web.Request, flavour: Flavour) -> web.StreamResponse:
        raw = await request.read()
        try:
            decoded = json.loads(raw)
        except ValueError:
            decoded = None
        body = decoded if isinstance(decoded, dict) else None
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _CREDENTIAL_HEADERS}
        streamed = body is not None and body.get("stream") is True
        arrived = LLMRequest(flavour, request.path, headers, body, time.monotonic(), streamed)
        index = len(self._requests.items)
        self._requests.add(arrived)
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
        if streamed:
            return await self._stream(request, arrived, step, body, index=index)
        if isinstance(step, Malformed):
            return web.Response(status=200, text=step.body, content_type="application/json")
        model = str(body.get("model", "scripted-model"))
        if flavour == "openai":
            return web.json_response(openai_body(step, model=model, ids=self._ids))
        return web.json_response(anthropic_body(step, model=model, ids=self._ids))

    async def _stream(
        self,
        request: web.Request,
        arrived: LLMRequest,
        step: Reply | ToolCalls | Malformed,
        body: JSON,
        *,
        index: int,
    ) -> web.StreamResponse:
        """Answer ``step`` as the vendor's event stream, and record how the stream ended."""
        model = str(body.get("model", "scripted-model"))
        if isinstance(step, Malformed):
            frames = [malformed_frame(arrived.flavour, step.body)]
            streaming = Streaming()
        elif arrived.flavour == "openai":
            options = body.get("stream_options")
            include_usage = isinstance(options, dict) and options.get("include_usage") is True
            frames = openai_frames(step, model=model, ids=self._ids, include_usage=include_usage)
            streaming = step.stream
        else:
            frames = anthropic_frames(step, model=model, ids=self._ids)
            streaming = step.stream
        player = StreamPlayer(
            gate=self._gate, closing=self._closing, on_hang=lambda: self._hangs.add(arrived)
        )
        response = web.StreamResponse(headers={"Cache-Control": "no-cache"})
        response.content_type = EVENT_STREAM
        outcome: StreamOutcome = "disconnected"
        try:
            await response.prepare(request)
            outcome = await player.play(
                request, response, frames, flavour=arrived.flavour, stream=streaming
            )
        except ConnectionResetError:
            pass  # the client went away while we wrote: "disconnected"
        finally:
            # also on cancellation: the client closing the connection cancels this handler
            self._streams.add(StreamRecord(index, player.pieces, outcome, player.first_piece_at))
        return response

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
