"""Both adapters streaming from the scripted server over loopback: pieces in order, the same
completion as the unstreamed call, tool calls from fragments, usage, finish reasons, the
request each vendor expects, and the log line."""

from __future__ import annotations

import json

import pytest
from structlog.testing import capture_logs

from agents.llm.chat import ChatMessage, ChatRequest, Completion, ToolSpec, Usage
from bot.integrations.llm import ProviderKind
from sandbox.llm_server import ScriptedLLMServer
from sandbox.llm_steps import Step, Streaming, call, reply, tool_call, tool_calls

from .conftest import Collected, ModelFactory

LOOKUP = ToolSpec(
    name="lookup",
    description="Look a service up.",
    parameters={"type": "object", "properties": {"service": {"type": "string"}}},
)
REQUEST = ChatRequest(
    model="test-model",
    messages=(ChatMessage("system", "You are Switchboard."), ChatMessage("user", "status?")),
    tools=(LOOKUP,),
    max_tokens=256,
)


async def test_pieces_arrive_in_order_and_join_to_the_text(
    kind: ProviderKind, llm: ScriptedLLMServer, make_model: ModelFactory
) -> None:
    """Each piece the server streams reaches the sink, in order, and the completion's text is
    the pieces joined."""
    pieces = ("All ", "services ", "are ", "green", ".")
    llm.script(reply("".join(pieces), stream=Streaming(pieces=pieces)))
    sink = Collected()
    completion = await make_model(kind).complete(REQUEST, on_text=sink)
    assert sink.pieces == list(pieces)
    assert completion.text == "All services are green."
    assert completion.finish_reason == "stop"


@pytest.mark.parametrize(
    "step",
    [
        reply("Everything is fine today.", usage=(42, 7)),
        reply("It was the best of", usage=(9, 4), finish="length"),
        tool_calls(
            call("lookup", {"service": "api"}, call_id="call_1"),
            call("lookup", {"service": "web", "deep": True}, call_id="call_2"),
            text="Looking both up.",
            usage=(30, 12),
            stream=Streaming(piece_size=3),
        ),
        tool_call("lookup", {}, call_id="call_3", stream=Streaming(piece_size=1)),
    ],
    ids=["reply", "length", "calls-with-text", "call-without-arguments"],
)
async def test_streamed_completion_equals_the_unstreamed_one(
    kind: ProviderKind, llm: ScriptedLLMServer, make_model: ModelFactory, step: Step
) -> None:
    """The same scripted answer, asked for with and without a stream, is the same completion:
    text, tool calls (ids, names, arguments), finish reason, usage and model."""
    llm.script(step, step)
    model = make_model(kind)
    whole = await model.complete(REQUEST)
    sink = Collected()
    streamed = await model.complete(REQUEST, on_text=sink)
    assert streamed == whole
    assert "".join(sink.pieces) == whole.text
    plain, asked = await llm.wait_for_requests(2)
    assert (plain.streamed, asked.streamed) == (False, True)


async def test_tool_calls_are_assembled_from_fragments(
    kind: ProviderKind, llm: ScriptedLLMServer, make_model: ModelFactory
) -> None:
    """Arguments streamed a few characters at a time come back whole, each with its call's
    id and name; only text reaches the sink, never argument fragments."""
    arguments = {"service": "payments-api", "region": "eu-west-1"}
    llm.script(
        tool_call(
            "lookup",
            arguments,
            call_id="call_frag",
            text="Checking.",
            usage=(20, 9),
            stream=Streaming(piece_size=4),
        )
    )
    sink = Collected()
    completion = await make_model(kind).complete(REQUEST, on_text=sink)
    assert sink.pieces == ["Chec", "king", "."]
    (made,) = completion.tool_calls
    assert (made.id, made.name) == ("call_frag", "lookup")
    assert json.loads(made.arguments) == arguments
    assert completion.finish_reason == "tool_calls"
    assert completion.usage == Usage(input_tokens=20, output_tokens=9)
    (ended,) = await llm.wait_for_streams(1)
    assert ended.outcome == "completed"
    assert ended.pieces > 3  # the argument fragments were streamed too


async def test_an_answer_without_text_hands_nothing_over(
    kind: ProviderKind, llm: ScriptedLLMServer, make_model: ModelFactory
) -> None:
    """A stream that only calls a tool never calls the sink."""
    llm.script(tool_call("lookup", {"service": "api"}, call_id="call_9"))
    sink = Collected()
    completion = await make_model(kind).complete(REQUEST, on_text=sink)
    assert sink.pieces == []
    assert completion.text == "" and len(completion.tool_calls) == 1


async def test_openai_asks_for_a_stream_with_usage(
    llm: ScriptedLLMServer, make_model: ModelFactory
) -> None:
    """OpenAI: the streamed request is the unstreamed one plus ``stream`` and
    ``stream_options.include_usage``, so the last chunk carries the usage."""
    llm.script(reply("a"), reply("b"))
    model = make_model("openai")
    await model.complete(REQUEST)
    await model.complete(REQUEST, on_text=Collected())
    plain, streamed = await llm.wait_for_requests(2)
    assert plain.body is not None and streamed.body is not None
    assert "stream" not in plain.body
    extra = {key: streamed.body[key] for key in streamed.body.keys() - plain.body.keys()}
    assert extra == {"stream": True, "stream_options": {"include_usage": True}}
    assert {k: v for k, v in streamed.body.items() if k not in extra} == plain.body


async def test_anthropic_asks_for_a_stream(
    llm: ScriptedLLMServer, make_model: ModelFactory
) -> None:
    """Anthropic: the streamed request is the unstreamed one plus ``stream``."""
    llm.script(reply("a"), reply("b"))
    model = make_model("anthropic")
    await model.complete(REQUEST)
    await model.complete(REQUEST, on_text=Collected())
    plain, streamed = await llm.wait_for_requests(2)
    assert plain.body is not None and streamed.body is not None
    assert streamed.body == {**plain.body, "stream": True}


async def test_one_log_line_says_it_streamed(
    kind: ProviderKind, llm: ScriptedLLMServer, make_model: ModelFactory
) -> None:
    """A streamed call logs one ``llm_call`` line with its tokens and finish reason, how many
    pieces went and the time to the first; an unstreamed one says it did not stream."""
    llm.script(reply("one two three", usage=(11, 3)), reply("plain"))
    model = make_model(kind)
    with capture_logs() as logs:
        await model.complete(REQUEST, on_text=Collected())
        await model.complete(REQUEST)
    streamed, plain = [entry for entry in logs if entry["event"] == "llm_call"]
    assert streamed["streamed"] is True and streamed["pieces"] == 3
    assert isinstance(streamed["first_piece_ms"], int)
    assert (streamed["input_tokens"], streamed["output_tokens"]) == (11, 3)
    assert streamed["finish_reason"] == "stop"
    assert plain["streamed"] is False and "pieces" not in plain
    assert "one two" not in repr(logs)


async def test_follow_up_after_a_streamed_tool_call(
    kind: ProviderKind, llm: ScriptedLLMServer, make_model: ModelFactory
) -> None:
    """A streamed tool call can be answered and the conversation goes on, streamed too."""
    llm.script(tool_call("lookup", {"service": "api"}), reply("api is up."))
    model = make_model(kind)
    first = await model.complete(REQUEST, on_text=Collected())
    (made,) = first.tool_calls
    follow_up = ChatRequest(
        model="test-model",
        messages=(
            *REQUEST.messages,
            ChatMessage("assistant", first.text, tool_calls=first.tool_calls),
            ChatMessage("tool", "api: up", tool_call_id=made.id),
        ),
        tools=(LOOKUP,),
    )
    sink = Collected()
    second: Completion = await model.complete(follow_up, on_text=sink)
    assert second.text == "api is up." and "".join(sink.pieces) == second.text
