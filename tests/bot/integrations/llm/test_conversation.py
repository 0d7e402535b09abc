"""Both adapters against the scripted server over loopback: replies, tool calls, usage, finish
reasons, and the requests as each vendor expects them on the wire."""

from __future__ import annotations

import json

from structlog.testing import capture_logs

from agents.llm.chat import ChatMessage, ChatRequest, ToolCall, ToolSpec, Usage
from bot.integrations.llm import ProviderKind
from sandbox.llm_server import ScriptedLLMServer
from sandbox.llm_steps import call, reply, tool_call, tool_calls

from .conftest import API_KEY, ModelFactory

RESTART = ToolSpec(
    name="restart_service",
    description="Restart one service.",
    parameters={
        "type": "object",
        "properties": {"service": {"type": "string"}},
        "required": ["service"],
    },
)
SYSTEM = ChatMessage("system", "You are Switchboard.")
ASK = ChatMessage("user", "please restart api")


def ask(*messages: ChatMessage, tools: tuple[ToolSpec, ...] = ()) -> ChatRequest:
    return ChatRequest(model="test-model", messages=messages, tools=tools, max_tokens=256)


async def test_plain_reply(
    kind: ProviderKind, llm: ScriptedLLMServer, make_model: ModelFactory
) -> None:
    """A text answer comes back as the completion's text, finish ``stop``, with usage."""
    llm.script(reply("Hello from the model.", usage=(42, 7)))
    completion = await make_model(kind).complete(ask(SYSTEM, ASK))
    assert completion.text == "Hello from the model."
    assert completion.tool_calls == ()
    assert completion.finish_reason == "stop"
    assert completion.usage == Usage(input_tokens=42, output_tokens=7)
    assert completion.model == "test-model"


async def test_length_finish(
    kind: ProviderKind, llm: ScriptedLLMServer, make_model: ModelFactory
) -> None:
    """An answer cut at ``max_tokens`` finishes with ``length``."""
    llm.script(reply("It was the best of", finish="length"))
    completion = await make_model(kind).complete(ask(ASK))
    assert completion.finish_reason == "length"


async def test_openai_request_wire_shape(llm: ScriptedLLMServer, make_model: ModelFactory) -> None:
    """OpenAI: system stays a message, tools are ``function`` tools, the key is a bearer token."""
    llm.script(reply("ok"))
    await make_model("openai").complete(ask(SYSTEM, ASK, tools=(RESTART,)))
    (request,) = await llm.wait_for_requests(1)
    assert request.path == "/v1/chat/completions"
    assert request.body is not None
    assert request.body["messages"] == [
        {"role": "system", "content": "You are Switchboard."},
        {"role": "user", "content": "please restart api"},
    ]
    assert request.body["tools"] == [
        {
            "type": "function",
            "function": {
                "name": "restart_service",
                "description": "Restart one service.",
                "parameters": dict(RESTART.parameters),
            },
        }
    ]
    assert request.body["max_tokens"] == 256
    assert "authorization" not in {name.lower() for name in request.headers}


async def test_anthropic_request_wire_shape(
    llm: ScriptedLLMServer, make_model: ModelFactory
) -> None:
    """Anthropic: the system prompt goes to ``system=``, tools carry ``input_schema``."""
    llm.script(reply("ok"))
    await make_model("anthropic").complete(ask(SYSTEM, ASK, tools=(RESTART,)))
    (request,) = await llm.wait_for_requests(1)
    assert request.path == "/v1/messages"
    assert request.body is not None
    assert request.body["system"] == "You are Switchboard."
    assert request.body["messages"] == [
        {"role": "user", "content": [{"type": "text", "text": "please restart api"}]}
    ]
    assert request.body["tools"] == [
        {
            "name": "restart_service",
            "description": "Restart one service.",
            "input_schema": dict(RESTART.parameters),
        }
    ]
    assert request.body["max_tokens"] == 256
    assert "anthropic-version" in request.headers


async def test_tool_call_round_trip(
    kind: ProviderKind, llm: ScriptedLLMServer, make_model: ModelFactory
) -> None:
    """A tool call comes back with its id and JSON arguments; the follow-up carrying the
    assistant's call and the tool result is accepted and answered."""
    llm.script(tool_call("restart_service", {"service": "api"}), reply("Restarted api."))
    model = make_model(kind)
    first = await model.complete(ask(SYSTEM, ASK, tools=(RESTART,)))
    assert first.finish_reason == "tool_calls"
    (called,) = first.tool_calls
    assert called.name == "restart_service"
    assert json.loads(called.arguments) == {"service": "api"}
    follow_up = ask(
        SYSTEM,
        ASK,
        ChatMessage("assistant", first.text, tool_calls=first.tool_calls),
        ChatMessage("tool", "api restarted (pid 4242)", tool_call_id=called.id),
        tools=(RESTART,),
    )
    second = await model.complete(follow_up)
    assert second.text == "Restarted api."
    assert second.finish_reason == "stop"
    assert llm.pending == 0


async def test_openai_tool_result_is_a_tool_message(
    llm: ScriptedLLMServer, make_model: ModelFactory
) -> None:
    """OpenAI: the assistant's calls are echoed as ``tool_calls`` and the result is a ``tool``
    message naming the call's id."""
    llm.script(tool_call("restart_service", {"service": "api"}, call_id="call_abc"), reply("ok"))
    model = make_model("openai")
    first = await model.complete(ask(ASK, tools=(RESTART,)))
    await model.complete(
        ask(
            ASK,
            ChatMessage("assistant", "", tool_calls=first.tool_calls),
            ChatMessage("tool", "done", tool_call_id="call_abc"),
            tools=(RESTART,),
        )
    )
    _, second = await llm.wait_for_requests(2)
    assert second.body is not None
    assert second.body["messages"][1:] == [
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_abc",
                    "type": "function",
                    "function": {"name": "restart_service", "arguments": '{"service": "api"}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_abc", "content": "done"},
    ]


async def test_anthropic_tool_results_merge_into_one_user_turn(
    llm: ScriptedLLMServer, make_model: ModelFactory
) -> None:
    """Anthropic: calls are ``tool_use`` blocks; consecutive results become ``tool_result``
    blocks of one ``user`` message."""
    llm.script(
        tool_calls(
            call("restart_service", {"service": "api"}, call_id="toolu_1"),
            call("restart_service", {"service": "web"}, call_id="toolu_2"),
            text="Restarting both.",
        ),
        reply("Both restarted."),
    )
    model = make_model("anthropic")
    first = await model.complete(ask(ASK, tools=(RESTART,)))
    assert first.text == "Restarting both."
    assert [c.id for c in first.tool_calls] == ["toolu_1", "toolu_2"]
    second = await model.complete(
        ask(
            ASK,
            ChatMessage("assistant", first.text, tool_calls=first.tool_calls),
            ChatMessage("tool", "api ok", tool_call_id="toolu_1"),
            ChatMessage("tool", "web ok", tool_call_id="toolu_2"),
            tools=(RESTART,),
        )
    )
    assert second.text == "Both restarted."
    _, sent = await llm.wait_for_requests(2)
    assert sent.body is not None
    assert sent.body["messages"][1:] == [
        {
            "role": "assistant",
            "content": [
                {"type": "text", "text": "Restarting both."},
                {
                    "type": "tool_use",
                    "id": "toolu_1",
                    "name": "restart_service",
                    "input": {"service": "api"},
                },
                {
                    "type": "tool_use",
                    "id": "toolu_2",
                    "name": "restart_service",
                    "input": {"service": "web"},
                },
            ],
        },
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": "toolu_1", "content": "api ok"},
                {"type": "tool_result", "tool_use_id": "toolu_2", "content": "web ok"},
            ],
        },
    ]


async def test_openai_malformed_arguments_reach_the_planner_verbatim(
    llm: ScriptedLLMServer, make_model: ModelFactory
) -> None:
    """Arguments that are not JSON are handed on as the model wrote them (the planner judges)."""
    llm.script(tool_call("restart_service", '{"service": "api"', call_id="call_1"))
    completion = await make_model("openai").complete(ask(ASK, tools=(RESTART,)))
    assert completion.tool_calls == (ToolCall("call_1", "restart_service", '{"service": "api"'),)


async def test_one_llm_call_log_line_without_content(
    kind: ProviderKind, llm: ScriptedLLMServer, make_model: ModelFactory
) -> None:
    """Each call logs one ``llm_call`` line with provider, model, attempts, latency, tokens and
    finish reason, and neither the conversation nor the key."""
    llm.script(reply("the secret plan", usage=(11, 3)))
    with capture_logs() as logs:
        await make_model(kind).complete(ask(ChatMessage("user", "tell me the secret plan")))
    (line,) = [entry for entry in logs if entry["event"] == "llm_call"]
    assert line["provider"] == f"test-{kind}"
    assert line["model"] == "test-model"
    assert line["attempts"] == 1
    assert isinstance(line["latency_ms"], int)
    assert (line["input_tokens"], line["output_tokens"]) == (11, 3)
    assert line["finish_reason"] == "stop"
    rendered = repr(logs)
    assert "secret plan" not in rendered and API_KEY not in rendered
