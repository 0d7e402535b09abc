"""A streamed answer in each vendor's server-sent events.

* OpenAI chat completions: ``data: {chat.completion.chunk}`` lines: the role first, then
  ``delta.content`` pieces, ``delta.tool_calls`` (the id and name with the call's first
  chunk, then ``function.arguments`` fragments, each with the call's ``index``), the last
  choice chunk with ``finish_reason``, a usage chunk with empty ``choices`` when the request
  set ``stream_options.include_usage`` (every other chunk then has ``"usage": null``), and
  ``data: [DONE]``.
* Anthropic Messages: ``message_start`` (the message with empty content and
  ``usage.input_tokens``), a ``ping``, per content block ``content_block_start`` /
  ``content_block_delta`` (``text_delta``, or ``input_json_delta`` for ``tool_use``) /
  ``content_block_stop``, then ``message_delta`` (``stop_reason``, ``usage.output_tokens``)
  and ``message_stop``.

Each event is a :class:`Frame`; the frames that carry a piece of content (a text delta or an
argument fragment) are marked, so the server can pace them and fault between them.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass

from sandbox.llm_steps import Reply, Streaming, ToolCalls
from sandbox.llm_wire import (
    Flavour,
    arguments_object,
    arguments_text,
    error_body,
    tool_id,
)
from sandbox.records import JSON

__all__ = [
    "Frame",
    "anthropic_frames",
    "cut",
    "error_frame",
    "malformed_frame",
    "openai_frames",
]

_WORDS = re.compile(r"\s*\S+\s*|\s+")


@dataclass(frozen=True, slots=True)
class Frame:
    """One server-sent event, encoded; ``piece`` when it carries a piece of content."""

    data: bytes
    piece: bool = False


def _event(name: str | None, data: JSON | str, *, piece: bool = False) -> Frame:
    text = data if isinstance(data, str) else json.dumps(data)
    head = f"event: {name}\n" if name is not None else ""
    return Frame(f"{head}data: {text}\n\n".encode(), piece)


def cut(text: str, stream: Streaming, *, words: bool = True) -> list[str]:
    """``text`` in pieces: the explicit ones, of ``piece_size`` characters, or (``words``)
    one per word with the spaces around it; else whole."""
    if not text:
        return []
    if stream.pieces is not None:
        return [piece for piece in stream.pieces if piece]
    if stream.piece_size is not None:
        size = stream.piece_size
        return [text[i : i + size] for i in range(0, len(text), size)]
    return _WORDS.findall(text) if words else [text]


def _arguments(text: str, stream: Streaming) -> list[str]:
    """A call's arguments in fragments: ``piece_size`` characters each, else whole."""
    return cut(text, Streaming(piece_size=stream.piece_size), words=False)


def openai_frames(
    step: Reply | ToolCalls, *, model: str, ids: Iterator[int], include_usage: bool
) -> list[Frame]:
    """``step`` as chat-completion chunks (see the module docstring)."""
    base: JSON = {
        "id": f"chatcmpl-{next(ids):06d}",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
        "system_fingerprint": None,
    }
    if include_usage:
        base["usage"] = None

    def chunk(delta: JSON, *, finish: str | None = None, piece: bool = False) -> Frame:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
        return _event(None, {**base, "choices": [choice]}, piece=piece)

    content = "" if step.text or isinstance(step, Reply) else None
    frames = [chunk({"role": "assistant", "content": content, "refusal": None})]
    frames += [chunk({"content": piece}, piece=True) for piece in cut(step.text, step.stream)]
    finish: str = step.finish if isinstance(step, Reply) else "tool_calls"
    if isinstance(step, ToolCalls):
        for index, scripted in enumerate(step.calls):
            opening = {
                "index": index,
                "id": tool_id("openai", scripted, ids),
                "type": "function",
                "function": {"name": scripted.name, "arguments": ""},
            }
            frames.append(chunk({"tool_calls": [opening]}))
            fragments = _arguments(arguments_text(scripted.arguments), step.stream)
            frames += [
                chunk(
                    {"tool_calls": [{"index": index, "function": {"arguments": part}}]}, piece=True
                )
                for part in fragments
            ]
    frames.append(chunk({}, finish=finish))
    if include_usage:
        prompt, completion = step.usage
        usage = {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
        }
        frames.append(_event(None, {**base, "choices": [], "usage": usage}))
    frames.append(_event(None, "[DONE]"))
    return frames


def anthropic_frames(step: Reply | ToolCalls, *, model: str, ids: Iterator[int]) -> list[Frame]:
    """``step`` as Messages stream events (see the module docstring)."""
    prompt, completion = step.usage
    message: JSON = {
        "id": f"msg_{next(ids):06d}",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": {
            "input_tokens": prompt,
            "output_tokens": 1,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
        },
    }
    frames = [_event("message_start", {"type": "message_start", "message": message})]
    frames.append(_event("ping", {"type": "ping"}))
    blocks: list[tuple[JSON, list[JSON]]] = []
    if step.text:
        pieces = cut(step.text, step.stream)
        blocks.append(({"type": "text", "text": ""}, [_text_delta(p) for p in pieces]))
    if isinstance(step, ToolCalls):
        for scripted in step.calls:
            opening = {
                "type": "tool_use",
                "id": tool_id("anthropic", scripted, ids),
                "name": scripted.name,
                "input": {},
            }
            text = json.dumps(arguments_object(scripted.arguments))
            fragments = _arguments(text, step.stream)
            blocks.append((opening, [_json_delta(part) for part in fragments]))
    for index, (opening, deltas) in enumerate(blocks):
        start = {"type": "content_block_start", "index": index, "content_block": opening}
        frames.append(_event("content_block_start", start))
        frames += [
            _event(
                "content_block_delta",
                {"type": "content_block_delta", "index": index, **d},
                piece=True,
            )
            for d in deltas
        ]
        frames.append(_event("content_block_stop", {"type": "content_block_stop", "index": index}))
    stop = _stop_reason(step)
    ending = {
        "type": "message_delta",
        "delta": {"stop_reason": stop, "stop_sequence": None},
        "usage": {"output_tokens": completion},
    }
    frames.append(_event("message_delta", ending))
    frames.append(_event("message_stop", {"type": "message_stop"}))
    return frames


def _text_delta(piece: str) -> JSON:
    return {"delta": {"type": "text_delta", "text": piece}}


def _json_delta(part: str) -> JSON:
    return {"delta": {"type": "input_json_delta", "partial_json": part}}


def _stop_reason(step: Reply | ToolCalls) -> str:
    if isinstance(step, ToolCalls):
        return "tool_use"
    return "end_turn" if step.finish == "stop" else "max_tokens"


def error_frame(flavour: Flavour, status: int, message: str) -> Frame:
    """The vendor's in-stream error: Anthropic's ``error`` event, OpenAI's error data line."""
    body = error_body(flavour, status, message)
    return _event("error" if flavour == "anthropic" else None, body)


def malformed_frame(flavour: Flavour, text: str) -> Frame:
    """An event whose data is not JSON (a ``malformed`` step asked for as a stream)."""
    return _event("message_start" if flavour == "anthropic" else None, text.replace("\n", " "))
