"""OpenTelemetry spans of a turn, a model call and the worker's execution, captured with the
SDK's in-memory exporter."""

from __future__ import annotations

from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from handlers.approval_blocks import APPROVE_ACTION
from sandbox import SlackSandbox
from sandbox.llm_server import ScriptedLLMServer
from sandbox.llm_steps import tool_call
from tests.e2e.conftest import running_bot
from tests.e2e.llm_config import LLM_KEY, llm_config

ASKED = "deploy: please ship the api to production"


def _one(spans: tuple[ReadableSpan, ...], name: str) -> ReadableSpan:
    found = [s for s in spans if s.name == name]
    assert len(found) == 1, [s.name for s in spans]
    return found[0]


async def test_turn_model_call_and_execution_spans(
    sandbox: SlackSandbox, database_url: str
) -> None:
    """`invoke_agent deploy` carries the turn's stored trace id; `chat test-model` is its
    child with the GenAI attributes and no message content; the worker's `execute_tool
    deploy` is a new trace linked to the turn."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    environ = {"PRIMARY_LLM_KEY": LLM_KEY, "DEPLOY_API_TOKEN": "t0ken"}
    async with ScriptedLLMServer(api_key=LLM_KEY) as llm:
        llm.script(tool_call("deploy", {"service": "api", "env": "prod"}, usage=(1000, 200)))
        config = llm_config(sandbox.base_url, primary_url=llm.openai_base_url)
        async with running_bot(
            sandbox, database_url, config=config, environ=environ, tracer_provider=provider
        ) as bot:
            await sandbox.people.say(f"<@U0BOT> {ASKED}")
            card = await sandbox.calls.wait_for("chat.postMessage", timeout=10)
            await bot.idle()
            await sandbox.people.click(card.response["ts"], APPROVE_ACTION, user="U0BOB")
            await sandbox.calls.wait_for(
                "chat.update", where=lambda c: "Succeeded" in str(c.args["blocks"]), timeout=10
            )
    spans = exporter.get_finished_spans()
    trace_id = card.args["metadata"]["event_payload"]["trace_id"]

    turn = _one(spans, "invoke_agent deploy")
    assert turn.context is not None and f"{turn.context.trace_id:032x}" == trace_id
    assert turn.attributes is not None
    assert turn.attributes["gen_ai.operation.name"] == "invoke_agent"
    assert turn.attributes["gen_ai.agent.name"] == "deploy"

    chat = _one(spans, "chat test-model")
    assert chat.context is not None and chat.parent is not None
    assert chat.context.trace_id == turn.context.trace_id
    assert chat.parent.span_id == turn.context.span_id
    attributes = dict(chat.attributes or {})
    assert attributes["gen_ai.operation.name"] == "chat"
    assert attributes["gen_ai.provider.name"] == "openai"
    assert attributes["gen_ai.request.model"] == "test-model"
    assert attributes["gen_ai.response.model"] == "test-model"
    assert (attributes["gen_ai.usage.input_tokens"], attributes["gen_ai.usage.output_tokens"]) == (
        1000,
        200,
    )
    every_value = " ".join(str(v) for s in spans for v in (s.attributes or {}).values())
    assert "please ship" not in every_value  # message content is not captured

    run = _one(spans, "execute_tool deploy")
    assert run.context is not None and run.context.trace_id != turn.context.trace_id
    assert [f"{link.context.trace_id:032x}" for link in run.links] == [trace_id]
    run_attributes = dict(run.attributes or {})
    assert run_attributes["gen_ai.operation.name"] == "execute_tool"
    assert run_attributes["gen_ai.tool.name"] == "deploy"
    assert run_attributes["switchboard.outcome"] == "succeeded"
