"""A scripted LLM server: OpenAI chat completions and Anthropic Messages on one local port.

Tests and the demo script what "the model" says as neutral steps (:func:`reply`,
:func:`tool_call`, :func:`error`, :func:`delay`, :func:`malformed`); each request takes the
next step and gets it in the wire format of the endpoint it called:

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
from typing import Literal

from aiohttp import web

from sandbox.records import JSON
from sandbox.serving import LocalServer, serve_app

__all__ = [
    "SCRIPT_EXHAUSTED",
    "Delay",
    "ErrorStep",
    "Flavour",
    "LLMRequest",
    "Malformed",
    "Reply",
    "ScriptedCall",
    "ScriptedLLMServer",
    "Step",
    "ToolCalls",
    "call",
    "delay",
    "error",
    "malformed",
    "reply",
    "tool_call",
    "tool_calls",
]

Flavour = Literal["openai", "anthropic"]
TokenCounts = tuple[int, int]
"""``(input_tokens, output_tokens)`` a step reports."""

_USAGE: TokenCounts = (10, 5)
_CREDENTIAL_HEADERS = frozenset({"authorization", "x-api-key", "api-key"})
_NOT_JSON = "<html><body>upstream proxy error</body></html>"


@dataclass(frozen=True, slots=True)
class Reply:
    """The model answers with text (``finish="length"``: it ran out of tokens)."""

    text: str
    usage: TokenCounts = _USAGE
    finish: Literal["stop", "length"] = "stop"


@dataclass(frozen=True, slots=True)
class ScriptedCall:
    """One tool call; ``arguments`` as a string is sent verbatim (malformed JSON too)."""

    name: str
    arguments: Mapping[str, object] | str
    id: str | None = None


@dataclass(frozen=True, slots=True)
class ToolCalls:
    """The model calls one or more tools (optionally saying something first)."""

    calls: tuple[ScriptedCall, ...]
    text: str = ""
    usage: TokenCounts = _USAGE


@dataclass(frozen=True, slots=True)
class ErrorStep:
    """An HTTP error in the vendor's error format (``body`` replaces that format)."""

    status: int
    retry_after: float | str | None = None
    body: JSON | str | None = None
    message: str = "scripted error"


@dataclass(frozen=True, slots=True)
class Delay:
    """Hold the request open ``seconds`` (cut short when the server closes), then ``then``."""

    seconds: float
    then: Step


@dataclass(frozen=True, slots=True)
class Malformed:
    """A 200 that claims JSON but is not."""

    body: str = _NOT_JSON


Step = Reply | ToolCalls | ErrorStep | Delay | Malformed

SCRIPT_EXHAUSTED = ErrorStep(500, message="script exhausted: no step left for this request")
"""The default answer once the script is empty (and no responder is set)."""


def reply(
    text: str, *, usage: TokenCounts = _USAGE, finish: Literal["stop", "length"] = "stop"
) -> Reply:
    """A text answer."""
    return Reply(text, usage, finish)


def call(
    name: str, arguments: Mapping[str, object] | str, *, call_id: str | None = None
) -> ScriptedCall:
    """One call for :func:`tool_calls` (an id is made up when none is given)."""
    return ScriptedCall(name, arguments, call_id)


def tool_calls(*calls: ScriptedCall, text: str = "", usage: TokenCounts = _USAGE) -> ToolCalls:
    """An answer calling several tools at once."""
    if not calls:
        raise ValueError("tool_calls needs at least one call")
    return ToolCalls(calls, text, usage)


def tool_call(
    name: str,
    arguments: Mapping[str, object] | str,
    *,
    call_id: str | None = None,
    text: str = "",
    usage: TokenCounts = _USAGE,
) -> ToolCalls:
    """An answer calling one tool."""
    return ToolCalls((ScriptedCall(name, arguments, call_id),), text, usage)


def error(
    status: int,
    *,
    retry_after: float | str | None = None,
    body: JSON | str | None = None,
    message: str = "scripted error",
) -> ErrorStep:
    """An HTTP error; ``retry_after`` (seconds or an HTTP date) becomes ``Retry-After``."""
    return ErrorStep(status, retry_after, body, message)


def delay(seconds: float, then: Step) -> Delay:
    """Answer ``then`` only after ``seconds`` (to make a client time out)."""
    return Delay(seconds, then)


def malformed(body: str = _NOT_JSON) -> Malformed:
    """A 200 whose body is not JSON."""
    return Malformed(body)


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


_OPENAI_ERRORS: dict[int, tuple[str, str | None]] = {
    400: ("invalid_request_error", None),
    401: ("invalid_request_error", "invalid_api_key"),
    403: ("permission_denied", None),
    404: ("invalid_request_error", "model_not_found"),
    429: ("requests", "rate_limit_exceeded"),
}
_ANTHROPIC_ERRORS = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    529: "overloaded_error",
}


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
            return self._error(flavour, ErrorStep(401, message="invalid API key"))
        problem = _invalid(flavour, body, request.headers)
        if problem is not None or body is None:
            return self._error(flavour, ErrorStep(400, message=problem or "body is not JSON"))
        step = self._next(body)
        while isinstance(step, Delay):
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), step.seconds)
            step = step.then
        if isinstance(step, ErrorStep):
            return self._error(flavour, step)
        if isinstance(step, Malformed):
            return web.Response(status=200, text=step.body, content_type="application/json")
        model = str(body.get("model", "scripted-model"))
        if flavour == "openai":
            return web.json_response(self._openai_body(step, model=model))
        return web.json_response(self._anthropic_body(step, model=model))

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

    # -- rendering

    def _openai_body(self, step: Reply | ToolCalls, *, model: str) -> JSON:
        message: JSON = {"role": "assistant", "content": step.text or None, "refusal": None}
        if isinstance(step, ToolCalls):
            message["tool_calls"] = [
                {
                    "id": c.id or f"call_{next(self._ids):06d}",
                    "type": "function",
                    "function": {"name": c.name, "arguments": _as_text(c.arguments)},
                }
                for c in step.calls
            ]
            finish = "tool_calls"
        else:
            finish = step.finish
        prompt, completion = step.usage
        return {
            "id": f"chatcmpl-{next(self._ids):06d}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [
                {"index": 0, "message": message, "finish_reason": finish, "logprobs": None}
            ],
            "usage": {
                "prompt_tokens": prompt,
                "completion_tokens": completion,
                "total_tokens": prompt + completion,
            },
        }

    def _anthropic_body(self, step: Reply | ToolCalls, *, model: str) -> JSON:
        content: list[JSON] = [{"type": "text", "text": step.text}] if step.text else []
        if isinstance(step, ToolCalls):
            content.extend(
                {
                    "type": "tool_use",
                    "id": c.id or f"toolu_{next(self._ids):06d}",
                    "name": c.name,
                    "input": _as_object(c.arguments),
                }
                for c in step.calls
            )
            stop = "tool_use"
        else:
            stop = "end_turn" if step.finish == "stop" else "max_tokens"
        prompt, completion = step.usage
        return {
            "id": f"msg_{next(self._ids):06d}",
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": content,
            "stop_reason": stop,
            "stop_sequence": None,
            "usage": {
                "input_tokens": prompt,
                "output_tokens": completion,
                "cache_creation_input_tokens": 0,
                "cache_read_input_tokens": 0,
            },
        }

    def _error(self, flavour: Flavour, step: ErrorStep) -> web.Response:
        headers: dict[str, str] = {}
        if step.retry_after is not None:
            value = step.retry_after
            headers["Retry-After"] = f"{value:g}" if isinstance(value, int | float) else str(value)
        request_id = f"req_{next(self._ids):06d}"
        if step.body is not None:
            text = step.body if isinstance(step.body, str) else json.dumps(step.body)
        elif flavour == "openai":
            kind, code = _OPENAI_ERRORS.get(step.status, ("server_error", None))
            error_body = {"message": step.message, "type": kind, "param": None, "code": code}
            text = json.dumps({"error": error_body})
            headers["x-request-id"] = request_id
        else:
            kind = _ANTHROPIC_ERRORS.get(step.status, "api_error")
            error_body = {"type": kind, "message": step.message}
            text = json.dumps({"type": "error", "error": error_body, "request_id": request_id})
            headers["request-id"] = request_id
        return web.Response(
            status=step.status, text=text, content_type="application/json", headers=headers
        )


def _invalid(flavour: Flavour, body: JSON | None, headers: Mapping[str, str]) -> str | None:
    """Why the real API would refuse this request (the checks an adapter bug would trip)."""
    if body is None:
        return "the body must be a JSON object"
    if not isinstance(body.get("model"), str):
        return "model: field required"
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return "messages: a non-empty list is required"
    if flavour == "anthropic":
        if "anthropic-version" not in headers:
            return "anthropic-version: header is required"
        if not isinstance(body.get("max_tokens"), int):
            return "max_tokens: field required"
        roles = [m.get("role") if isinstance(m, dict) else None for m in messages]
        if any(role not in ("user", "assistant") for role in roles):
            return "messages: roles must be 'user' or 'assistant' (system goes in 'system')"
    return None


def _as_text(arguments: Mapping[str, object] | str) -> str:
    return arguments if isinstance(arguments, str) else json.dumps(dict(arguments))


def _as_object(arguments: Mapping[str, object] | str) -> object:
    """Anthropic's ``input`` is an object; a string that is not one is sent as it is (a
    protocol violation, which is what a test of a broken server wants)."""
    if not isinstance(arguments, str):
        return dict(arguments)
    try:
        decoded = json.loads(arguments)
    except ValueError:
        return arguments
    return decoded if isinstance(decoded, dict) else arguments
