"""The demo's scripted model: what it answers to each kind of request."""

from __future__ import annotations

import json
from typing import Any

from bot.cli.demo.tour import LONG_ANSWER, SHORT_ANSWER, read_answer, tour_step
from sandbox.llm_steps import Reply, ToolCalls

TOOLS = [{"type": "function", "function": {"name": n}} for n in ("status", "deploy", "restart")]


def _openai(text: str, *, tools: list[dict[str, Any]] = TOOLS) -> dict[str, Any]:
    return {
        "messages": [{"role": "system", "content": "x"}, {"role": "user", "content": text}],
        "tools": tools,
    }


def _call(step: object) -> tuple[str, dict[str, Any]]:
    assert isinstance(step, ToolCalls)
    (call,) = step.calls
    assert isinstance(call.arguments, dict)
    return call.name, dict(call.arguments)


def test_a_status_question_calls_the_read_only_tool() -> None:
    assert _call(tour_step(_openai("what is the status of web in prod?"))) == (
        "status",
        {"service": "web", "env": "prod"},
    )
    assert _call(tour_step(_openai("status of api"))) == (
        "status",
        {"service": "api", "env": "staging"},
    )


def test_a_deploy_calls_the_deploy_tool_with_what_was_named() -> None:
    assert _call(tour_step(_openai("deploy api v1.2.3 to prod"))) == (
        "deploy",
        {"service": "api", "env": "prod", "version": "v1.2.3"},
    )
    assert _call(tour_step(_openai("please restart worker"))) == (
        "restart",
        {"service": "worker", "env": "staging"},
    )


def test_a_tool_the_agent_does_not_offer_is_never_called() -> None:
    step = tour_step(_openai("deploy api to prod", tools=[]))
    assert isinstance(step, Reply) and step.text == SHORT_ANSWER


def test_explain_streams_the_long_answer_slowly_and_the_rest_the_short_one() -> None:
    long = tour_step(_openai("explain the deploy process"))
    short = tour_step(_openai("hello"))
    assert isinstance(long, Reply) and long.text == LONG_ANSWER
    assert isinstance(short, Reply) and short.text == SHORT_ANSWER
    assert long.stream.interval > short.stream.interval > 0


def test_after_a_tool_error_it_answers_in_words_and_reads_anthropics_shape() -> None:
    after_tool = {
        "messages": [
            {"role": "user", "content": "deploy api"},
            {"role": "tool", "content": "error: bad"},
        ],
        "tools": TOOLS,
    }
    assert isinstance(tour_step(after_tool), Reply)
    anthropic = {
        "messages": [{"role": "user", "content": [{"type": "text", "text": "status of api"}]}],
        "tools": [{"name": "status", "input_schema": {}}],
    }
    assert _call(tour_step(anthropic))[0] == "status"
    result = {"messages": [{"role": "user", "content": [{"type": "tool_result", "content": "x"}]}]}
    assert isinstance(tour_step(json.loads(json.dumps(result))), Reply)


def test_after_a_reads_result_it_answers_with_what_it_read() -> None:
    """A ``<tool_output>`` result (either vendor's shape) is answered from its output lines;
    a read that did not go through is said to have failed."""
    output = (
        '<tool_output source="status" trust="untrusted">\nstatus: succeeded\nsummary: HTTP 200'
        "\noutput:\nVersion: v1.0.0\nReplicas: 2\n</tool_output>"
    )
    openai = {
        "messages": [
            {"role": "user", "content": "status of api"},
            {"role": "tool", "content": output},
        ]
    }
    step = tour_step(openai)
    assert isinstance(step, Reply) and step.text == read_answer(output)
    assert step.text.startswith("The status check says: Version: v1.0.0; Replicas: 2.")
    anthropic = {
        "messages": [{"role": "user", "content": [{"type": "tool_result", "content": output}]}]
    }
    assert tour_step(anthropic) == step
    late = output.replace("succeeded", "not_finished").split("\noutput:")[0]
    assert read_answer(late).startswith("The status check did not go through (not_finished)")
