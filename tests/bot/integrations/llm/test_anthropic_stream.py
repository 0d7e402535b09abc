"""Putting an Anthropic message together from its events, edges included (plain objects
stand in for the SDK's, which it builds unchecked)."""

from __future__ import annotations

from types import SimpleNamespace as Obj
from typing import Any

import pytest

from agents.kernel.errors import ProviderError
from agents.llm.chat import ToolCall, Usage
from bot.integrations.llm.anthropic_stream import MessageAssembly


def event(kind: str, **fields: Any) -> Obj:
    return Obj(type=kind, **fields)


def start(**usage: int) -> Obj:
    return event("message_start", message=Obj(model="claude-x", usage=Obj(**usage)))


def block(index: int, kind: str, **fields: Any) -> Obj:
    return event("content_block_start", index=index, content_block=Obj(type=kind, **fields))


def delta(index: int, kind: str, **fields: Any) -> Obj:
    return event("content_block_delta", index=index, delta=Obj(type=kind, **fields))


def end(stop_reason: str, **usage: int) -> list[Obj]:
    return [
        event("message_delta", delta=Obj(stop_reason=stop_reason), usage=Obj(**usage)),
        event("message_stop"),
    ]


def assemble(*events: Obj) -> tuple[list[str], MessageAssembly]:
    assembly = MessageAssembly("p")
    return [assembly.feed(e) for e in events], assembly  # type: ignore[arg-type]


def test_text_usage_and_stop_reason() -> None:
    """Text deltas are the pieces; pings, thinking and unknown events are skipped; usage
    counts cached input too and takes the last cumulative output count."""
    pieces, assembly = assemble(
        start(input_tokens=5, cache_read_input_tokens=100, output_tokens=1),
        event("ping"),
        block(0, "thinking"),
        delta(0, "thinking_delta", thinking="hmm"),
        block(1, "text", text=""),
        delta(1, "text_delta", text="Hi "),
        delta(1, "text_delta", text="there"),
        event("content_block_stop", index=1),
        event("something_new", payload=1),
        *end("max_tokens", output_tokens=7),
    )
    assert [p for p in pieces if p] == ["Hi ", "there"]
    completion = assembly.finish()
    assert completion.text == "Hi there" and completion.finish_reason == "length"
    assert completion.usage == Usage(105, 7) and completion.model == "claude-x"


def test_tool_input_from_json_fragments() -> None:
    """A ``tool_use`` block's input is its fragments joined, written as JSON the way the
    unstreamed answer's is; a block without fragments keeps its starting input."""
    _, assembly = assemble(
        start(input_tokens=1),
        block(0, "tool_use", id="toolu_1", name="lookup", input={}),
        delta(0, "input_json_delta", partial_json=""),
        delta(0, "input_json_delta", partial_json='{"q":'),
        delta(0, "input_json_delta", partial_json='"api"}'),
        block(1, "tool_use", id="toolu_2", name="ping", input={}),
        *end("tool_use", output_tokens=3),
    )
    completion = assembly.finish()
    assert completion.tool_calls == (
        ToolCall("toolu_1", "lookup", '{"q": "api"}'),
        ToolCall("toolu_2", "ping", "{}"),
    )
    assert completion.finish_reason == "tool_calls"


def test_input_that_is_not_an_object_is_bad_response() -> None:
    """Tool input that does not join to a JSON object is ``bad_response``."""
    _, assembly = assemble(
        start(input_tokens=1),
        block(0, "tool_use", id="toolu_1", name="lookup", input={}),
        delta(0, "input_json_delta", partial_json='{"q": '),
        *end("tool_use", output_tokens=3),
    )
    with pytest.raises(ProviderError, match="not a JSON object"):
        assembly.finish()


def test_a_stream_without_message_stop_was_cut() -> None:
    """A stream that ended before ``message_stop`` is ``connection``."""
    _, assembly = assemble(
        start(input_tokens=1), block(0, "text"), delta(0, "text_delta", text="Hi")
    )
    with pytest.raises(ProviderError) as caught:
        assembly.finish()
    assert caught.value.kind == "connection"


def test_an_event_of_the_wrong_shape_is_bad_response() -> None:
    """A ``tool_use`` block without its id, or a start without a model, is ``bad_response``."""
    with pytest.raises(ProviderError, match="bad_response"):
        assemble(start(input_tokens=1), block(0, "tool_use", name="lookup"))
    with pytest.raises(ProviderError, match="bad_response"):
        assemble(event("message_start", message=Obj(usage=None)))
