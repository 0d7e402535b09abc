"""A streamed Anthropic message put together from its events.

A stream (``stream=True``) is ``message_start`` (the model, ``usage.input_tokens``), then per
content block ``content_block_start`` / ``content_block_delta`` / ``content_block_stop`` (a
``text_delta`` carries text; a ``tool_use`` block names its id and tool at its start and sends
its input as ``input_json_delta`` fragments of JSON text), then ``message_delta``
(``stop_reason``, cumulative ``usage``) and ``message_stop``. ``ping`` events and event or
block types we do not use (thinking, citations, new ones) are skipped, as Anthropic's
versioning policy asks; an ``error`` event is raised by the SDK (see :mod:`.failures`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from anthropic.types import RawMessageStreamEvent
from pydantic import BaseModel, ConfigDict, JsonValue

from agents.kernel.errors import ProviderError
from agents.llm.chat import Completion, FinishReason, ToolCall, Usage
from bot.integrations.llm.answers import read_event
from bot.integrations.llm.failures import stream_cut

__all__ = ["MessageAssembly", "anthropic_finish", "anthropic_usage"]

_STOP: dict[str, FinishReason] = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "tool_use": "tool_calls",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
}


def anthropic_finish(stop_reason: str | None) -> FinishReason:
    """A ``stop_reason`` in the domain's words."""
    return _STOP.get(stop_reason or "", "other")


def anthropic_usage(*, uncached: int, written: int, read: int, output: int) -> Usage:
    """Usage in the domain's words: the input counts the prompt whether or not it was cached
    (Anthropic reports cache writes and reads apart from ``input_tokens``)."""
    return Usage(uncached + written + read, output)


class _Lenient(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class _Usage(_Lenient):
    input_tokens: int | None = None
    output_tokens: int | None = None
    cache_creation_input_tokens: int | None = None
    cache_read_input_tokens: int | None = None


class _StartMessage(_Lenient):
    model: str
    usage: _Usage | None = None


class _MessageStart(_Lenient):
    message: _StartMessage


class _Block(_Lenient):
    type: str
    id: str | None = None
    name: str | None = None
    input: JsonValue = None


class _BlockStart(_Lenient):
    index: int
    content_block: _Block


class _Delta(_Lenient):
    type: str
    text: str | None = None
    partial_json: str | None = None


class _BlockDelta(_Lenient):
    index: int
    delta: _Delta


class _Stop(_Lenient):
    stop_reason: str | None = None


class _MessageDelta(_Lenient):
    delta: _Stop | None = None
    usage: _Usage | None = None


@dataclass(slots=True)
class _PartialCall:
    id: str
    name: str
    started_with: JsonValue
    fragments: list[str] = field(default_factory=list)


class MessageAssembly:
    """One streamed attempt's events, put together (a :class:`~.provider.StreamAssembly`)."""

    def __init__(self, provider: str) -> None:
        self._provider = provider
        self._model: str | None = None
        self._texts: list[str] = []
        self._calls: dict[int, _PartialCall] = {}
        self._usage = _Usage()
        self._stop_reason: str | None = None
        self._stopped = False

    def feed(self, event: RawMessageStreamEvent) -> str:
        """Take one event; the text it carries."""
        kind = getattr(event, "type", None)
        if kind == "message_start":
            start = read_event(self._provider, _MessageStart, event).message
            self._model = start.model
            self._count(start.usage)
        elif kind == "content_block_start":
            self._start(read_event(self._provider, _BlockStart, event))
        elif kind == "content_block_delta":
            return self._delta(read_event(self._provider, _BlockDelta, event))
        elif kind == "message_delta":
            delta = read_event(self._provider, _MessageDelta, event)
            self._stop_reason = (delta.delta or _Stop()).stop_reason or self._stop_reason
            self._count(delta.usage)
        elif kind == "message_stop":
            self._stopped = True
        return ""

    def _start(self, start: _BlockStart) -> None:
        block = start.content_block
        if block.type != "tool_use":
            return
        if block.id is None or block.name is None:
            detail = f"tool_use block {start.index} came without its id or name"
            raise ProviderError(self._provider, "bad_response", detail)
        self._calls[start.index] = _PartialCall(block.id, block.name, block.input)

    def _delta(self, event: _BlockDelta) -> str:
        delta = event.delta
        if delta.type == "text_delta" and delta.text:
            self._texts.append(delta.text)
            return delta.text
        call = self._calls.get(event.index)
        if delta.type == "input_json_delta" and call is not None and delta.partial_json:
            call.fragments.append(delta.partial_json)
        return ""

    def _count(self, usage: _Usage | None) -> None:
        """Usage is cumulative: each count reported replaces the one before."""
        if usage is not None:
            reported = usage.model_dump(exclude_none=True)
            self._usage = self._usage.model_copy(update=reported)

    def finish(self) -> Completion:
        """The completion, once the stream ended.

        Raises:
            ProviderError: ``connection`` without ``message_stop``; ``bad_response`` for a
                tool call whose input is not a JSON object.
        """
        if not self._stopped or self._model is None:
            raise stream_cut(self._provider)
        usage = self._usage
        return Completion(
            text="".join(self._texts),
            tool_calls=tuple(self._call(call) for _, call in sorted(self._calls.items())),
            finish_reason=anthropic_finish(self._stop_reason),
            usage=anthropic_usage(
                uncached=usage.input_tokens or 0,
                written=usage.cache_creation_input_tokens or 0,
                read=usage.cache_read_input_tokens or 0,
                output=usage.output_tokens or 0,
            ),
            model=self._model,
        )

    def _call(self, call: _PartialCall) -> ToolCall:
        """The call with its input as JSON text, written as the unstreamed answer's is."""
        text = "".join(call.fragments)
        try:
            arguments = json.loads(text) if text else call.started_with
        except ValueError:
            arguments = None
        if not isinstance(arguments, dict):
            detail = f"tool call {call.id!r} has input that is not a JSON object"
            raise ProviderError(self._provider, "bad_response", detail)
        return ToolCall(call.id, call.name, json.dumps(arguments))
