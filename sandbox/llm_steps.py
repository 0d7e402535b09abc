"""What the scripted LLM says, as neutral steps: a reply, tool calls, an HTTP error, a delay,
a malformed body. :class:`~sandbox.llm_server.ScriptedLLMServer` answers each request with the
next step, in the wire format of the endpoint called (:mod:`sandbox.llm_wire`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from sandbox.records import JSON

__all__ = [
    "SCRIPT_EXHAUSTED",
    "Delay",
    "ErrorStep",
    "Malformed",
    "Reply",
    "ScriptedCall",
    "Step",
    "TokenCounts",
    "ToolCalls",
    "call",
    "delay",
    "error",
    "malformed",
    "reply",
    "tool_call",
    "tool_calls",
]

TokenCounts = tuple[int, int]
"""``(input_tokens, output_tokens)`` a step reports."""

_USAGE: TokenCounts = (10, 5)
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
