"""Putting a chat completion together from chunks as compatible servers send them, edges
included (the SDK hands chunks over unchecked, so plain objects stand in for them here)."""

from __future__ import annotations

from types import SimpleNamespace as Obj
from typing import Any

import pytest

from agents.kernel.errors import ProviderError
from agents.llm.chat import ToolCall, Usage
from bot.integrations.llm.openai_stream import ChunkAssembly


def chunk(
    delta: dict[str, Any] | None = None,
    *,
    finish: str | None = None,
    choices: list[Any] | None = None,
    usage: Obj | None = None,
    index: int = 0,
) -> Obj:
    """A chunk object as the SDK builds it from JSON (attributes, not keys)."""
    if choices is None:
        choices = [Obj(index=index, delta=delta_of(delta or {}), finish_reason=finish)]
    return Obj(model="served-model", choices=choices, usage=usage)


def delta_of(delta: dict[str, Any]) -> Obj:
    calls = [
        Obj(index=c["index"], id=c.get("id"), function=Obj(**c.get("function", {})))
        for c in delta.get("tool_calls", [])
    ]
    return Obj(content=delta.get("content"), tool_calls=calls or None)


def assemble(*chunks: Obj) -> tuple[list[str], ChunkAssembly]:
    assembly = ChunkAssembly("p", requested_model="asked-model")
    return [assembly.feed(c) for c in chunks], assembly  # type: ignore[arg-type]


def test_text_pieces_usage_and_model() -> None:
    """Each chunk's content is its piece; the usage chunk (``choices`` null, as some servers
    send it) sets the usage; the model is the server's."""
    pieces, assembly = assemble(
        chunk({"content": "Hel"}),
        chunk({"content": "lo"}),
        chunk({}, finish="stop"),
        chunk(choices=[], usage=Obj(prompt_tokens=4, completion_tokens=2)),
    )
    assert pieces == ["Hel", "lo", "", ""]
    completion = assembly.finish()
    assert (completion.text, completion.finish_reason) == ("Hello", "stop")
    assert completion.usage == Usage(4, 2) and completion.model == "served-model"
    _, nullish = assemble(
        chunk({"content": "x"}, finish="stop"), Obj(model=None, choices=None, usage=None)
    )
    assert nullish.finish().usage == Usage(0, 0)


def test_calls_from_fragments_in_index_order() -> None:
    """Fragments are joined per call index; a server repeating the id in every fragment, or
    interleaving calls, still gives each call once; ``stop`` after calls means
    ``tool_calls``."""
    _, assembly = assemble(
        chunk(
            {"tool_calls": [{"index": 1, "id": "b", "function": {"name": "g", "arguments": ""}}]}
        ),
        chunk(
            {"tool_calls": [{"index": 0, "id": "a", "function": {"name": "f", "arguments": "{"}}]}
        ),
        chunk({"tool_calls": [{"index": 1, "id": "b", "function": {"arguments": "{}"}}]}),
        chunk({"tool_calls": [{"index": 0, "function": {"arguments": "}"}}]}),
        chunk({}, finish="stop"),
    )
    completion = assembly.finish()
    assert completion.tool_calls == (ToolCall("a", "f", "{}"), ToolCall("b", "g", "{}"))
    assert completion.finish_reason == "tool_calls"


def test_other_choices_are_ignored() -> None:
    """Only the first choice is read (we never ask for more)."""
    pieces, _ = assemble(chunk({"content": "other"}, index=1))
    assert pieces == [""]


def test_a_stream_without_a_finish_was_cut() -> None:
    """A stream that ended before any chunk said how the answer finished is ``connection``."""
    _, assembly = assemble(chunk({"content": "Hel"}))
    with pytest.raises(ProviderError) as caught:
        assembly.finish()
    assert caught.value.kind == "connection"


def test_a_call_without_its_name_is_bad_response() -> None:
    """A call whose fragments never named it cannot be answered: ``bad_response``."""
    _, assembly = assemble(
        chunk({"tool_calls": [{"index": 0, "id": "a", "function": {"arguments": "{}"}}]}),
        chunk({}, finish="tool_calls"),
    )
    with pytest.raises(ProviderError, match="bad_response"):
        assembly.finish()


def test_a_chunk_of_the_wrong_shape_is_bad_response() -> None:
    """A chunk whose fields have the wrong types is ``bad_response``."""
    assembly = ChunkAssembly("p", requested_model="m")
    with pytest.raises(ProviderError, match="bad_response"):
        assembly.feed(Obj(model="m", choices="not a list", usage=None))  # type: ignore[arg-type]
