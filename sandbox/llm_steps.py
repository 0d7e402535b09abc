"""What the scripted LLM says, as neutral steps: a reply, tool calls, an HTTP error, a delay,
a malformed body. :class:`~sandbox.llm_server.ScriptedLLMServer` answers each request with the
next step, in the wire format of the endpoint called (:mod:`sandbox.llm_wire`).

A reply or a tool call asked for with ``"stream": true`` is streamed as the vendor's events
(:mod:`sandbox.llm_events`); its :class:`Streaming` says how: how the text is cut into pieces,
the pause between pieces, and a fault mid-stream (:func:`drop_after`, :func:`hang_after`,
:func:`error_event`). A *piece* is one content delta: a piece of the text, or a fragment of a
tool call's arguments. An error before the stream starts is an ordinary :func:`error` step
(the real APIs answer a status, e.g. 429 with ``Retry-After``, before any event).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from sandbox.records import JSON

__all__ = [
    "SCRIPT_EXHAUSTED",
    "Delay",
    "Drop",
    "ErrorEvent",
    "ErrorStep",
    "Hang",
    "Malformed",
    "Reply",
    "ScriptedCall",
    "Step",
    "StreamFault",
    "Streaming",
    "TokenCounts",
    "ToolCalls",
    "call",
    "delay",
    "drop_after",
    "error",
    "error_event",
    "hang_after",
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
class Drop:
    """The connection is cut (no end of the stream) after ``after`` pieces."""

    after: int


@dataclass(frozen=True, slots=True)
class Hang:
    """The stream stops after ``after`` pieces until the test calls
    :meth:`~sandbox.llm_server.ScriptedLLMServer.release` (or the server closes), then goes
    on to its end."""

    after: int


@dataclass(frozen=True, slots=True)
class ErrorEvent:
    """The vendor's in-stream error after ``after`` pieces, ending the stream: Anthropic's
    ``error`` event, OpenAI's ``data: {"error": ...}``; ``status`` picks the error type (529
    ``overloaded_error``, 429 a rate limit, 500 a server error...)."""

    after: int
    status: int = 529
    message: str = "scripted stream error"


StreamFault = Drop | Hang | ErrorEvent


@dataclass(frozen=True, slots=True)
class Streaming:
    """How an answer is streamed when the request asks for a stream.

    Attributes:
        piece_size: characters per piece; ``None`` cuts the text after each word (with the
            spaces that follow it) and sends a tool call's arguments in one piece.
        pieces: the text's pieces, explicitly (they must join to the text).
        interval: seconds between two pieces (cut short when the server closes).
        fault: what goes wrong mid-stream, if anything.
    """

    piece_size: int | None = None
    pieces: tuple[str, ...] | None = None
    interval: float = 0.0
    fault: StreamFault | None = None

    def __post_init__(self) -> None:
        if self.piece_size is not None and self.piece_size < 1:
            raise ValueError("piece_size must be at least 1")
        if self.piece_size is not None and self.pieces is not None:
            raise ValueError("give piece_size or pieces, not both")
        if self.interval < 0:
            raise ValueError("interval must be >= 0")


_STREAMING = Streaming()


@dataclass(frozen=True, slots=True)
class Reply:
    """The model answers with text (``finish="length"``: it ran out of tokens)."""

    text: str
    usage: TokenCounts = _USAGE
    finish: Literal["stop", "length"] = "stop"
    stream: Streaming = field(default=_STREAMING)

    def __post_init__(self) -> None:
        _check_pieces(self.text, self.stream)


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
    stream: Streaming = field(default=_STREAMING)

    def __post_init__(self) -> None:
        _check_pieces(self.text, self.stream)


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


def _check_pieces(text: str, stream: Streaming) -> None:
    if stream.pieces is not None and "".join(stream.pieces) != text:
        raise ValueError("the pieces must join to the text")


def reply(
    text: str,
    *,
    usage: TokenCounts = _USAGE,
    finish: Literal["stop", "length"] = "stop",
    stream: Streaming = _STREAMING,
) -> Reply:
    """A text answer (``stream``: how it is streamed when a stream is asked for)."""
    return Reply(text, usage, finish, stream)


def call(
    name: str, arguments: Mapping[str, object] | str, *, call_id: str | None = None
) -> ScriptedCall:
    """One call for :func:`tool_calls` (an id is made up when none is given)."""
    return ScriptedCall(name, arguments, call_id)


def tool_calls(
    *calls: ScriptedCall,
    text: str = "",
    usage: TokenCounts = _USAGE,
    stream: Streaming = _STREAMING,
) -> ToolCalls:
    """An answer calling several tools at once."""
    if not calls:
        raise ValueError("tool_calls needs at least one call")
    return ToolCalls(calls, text, usage, stream)


def tool_call(
    name: str,
    arguments: Mapping[str, object] | str,
    *,
    call_id: str | None = None,
    text: str = "",
    usage: TokenCounts = _USAGE,
    stream: Streaming = _STREAMING,
) -> ToolCalls:
    """An answer calling one tool."""
    return ToolCalls((ScriptedCall(name, arguments, call_id),), text, usage, stream)


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


def drop_after(pieces: int) -> Drop:
    """Cut the connection after ``pieces`` pieces (0: before the first)."""
    return Drop(_count(pieces))


def hang_after(pieces: int) -> Hang:
    """Stop after ``pieces`` pieces until the test releases the stream."""
    return Hang(_count(pieces))


def error_event(
    status: int = 529, *, after: int = 0, message: str = "scripted stream error"
) -> ErrorEvent:
    """End the stream with the vendor's error event after ``after`` pieces."""
    return ErrorEvent(_count(after), status, message)


def _count(pieces: int) -> int:
    if pieces < 0:
        raise ValueError("a number of pieces must be >= 0")
    return pieces
