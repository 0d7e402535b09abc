"""Tool results that inform, through the real app, sandbox, database and worker: a read's
output is shown in its thread (fields, not just "HTTP 200"), and a model's turn reads it as
delimited untrusted tool output before it answers; large bodies are capped and secrets never
reach Slack or the model."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest

from agents.turns.tool_output import TOOL_OUTPUT_RULE
from bot.config_file import LoadedConfig, parse_config
from sandbox import ApiCall, SlackSandbox
from sandbox.llm_server import ScriptedLLMServer
from sandbox.llm_steps import Step, reply, tool_call
from sandbox.records import JSON
from tests.e2e.approvals_config import approvals_config
from tests.e2e.conftest import running_bot
from tests.e2e.llm_config import LLM_KEY

TOKEN = "dpl-" + "7c1e9a4b2f6d8e0a"
GITHUB = "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
ENV = {"PRIMARY_LLM_KEY": LLM_KEY, "DEPLOY_API_TOKEN": TOKEN}

HEALTH = """\
  - name: health
    agent: deploy
    description: Show the health of an environment's cluster
    risk: read
    params:
      env: {{type: enum, choices: [staging, prod]}}
    formats: ["health of {{env}}"]
    executor:
      http:
        method: GET
        url: "{base}/deploy-api/services/cluster/status?env={{env}}"
        headers: {{Authorization: "Bearer ${{DEPLOY_API_TOKEN}}"}}
        idempotent: true
    result:
      fields: {{State: status, Version: version, Replicas: replicas, Healthy: healthy,
               Note: note, Token: api_token}}
      max_chars: 600
"""
MODEL = """
agents:
  - name: deploy
    keywords: [deploy, health, ship]
    model: {{providers: [primary], model: test-model, max_steps: 4, max_tool_calls: 3,
             tool_wait: {tool_wait}}}
providers:
  - name: primary
    kind: {kind}
    base_url: {url}
    api_key_env: PRIMARY_LLM_KEY
    timeout: 5s
"""


def _config(
    base_url: str, *, llm_url: str | None = None, kind: str = "openai", tool_wait: str = "5s"
) -> LoadedConfig:
    text = approvals_config(base_url)
    text = text.replace("actions:\n", "actions:\n" + HEALTH.format(base=base_url), 1)
    if llm_url is not None:
        text += MODEL.format(url=llm_url, kind=kind, tool_wait=tool_wait)
    return parse_config(text)


@pytest.fixture
async def llm() -> AsyncIterator[ScriptedLLMServer]:
    async with ScriptedLLMServer(api_key=LLM_KEY) as server:
        yield server


def _output_post(call: ApiCall) -> bool:
    """A run's output in its thread: a post whose blocks end in the summary context."""
    blocks = call.args.get("blocks") or []
    return bool(blocks) and blocks[-1].get("type") == "context" and "succeeded:" in str(blocks[-1])


def _reply_post(call: ApiCall) -> bool:
    metadata = call.args.get("metadata") or {}
    return metadata.get("event_type") == "switchboard_turn"


async def _say(sandbox: SlackSandbox, text: str) -> None:
    await sandbox.people.say(f"<@U0BOT> {text}", user="U0ALICE")


def _everything_slack_got(sandbox: SlackSandbox) -> str:
    return json.dumps([call.args for call in sandbox.calls.for_method("chat.postMessage")])


async def test_health_of_prod_shows_the_health_fields_in_the_thread(
    sandbox: SlackSandbox, database_url: str
) -> None:
    """`health of prod` runs the read at once; its thread gets the fields the config names
    (not only "HTTP 200"), with the executor's summary as a small context line; the secret
    the target echoes and the token-shaped note never reach Slack."""
    sandbox.deploy_api.status_extra = {"note": f"rotated {GITHUB}", "api_token": TOKEN}
    config = _config(sandbox.base_url)
    async with running_bot(sandbox, database_url, config=config, environ=ENV) as bot:
        await _say(sandbox, "health of prod")
        posted = await sandbox.calls.wait_for("chat.postMessage", where=_output_post, timeout=10)
        await bot.idle()
    section, context = posted.args["blocks"]
    fields = {
        f["text"].split("\n")[0].strip("*"): f["text"].split("\n")[1] for f in section["fields"]
    }
    assert fields["State"] == "ok" and fields["Version"] == "v1.0.0"
    assert (fields["Replicas"], fields["Healthy"]) == ("2", "true")
    assert fields["Token"] == "[redacted:secret-field]"
    assert "[redacted:github-token]" in fields["Note"]
    assert context["elements"][0]["text"].startswith("succeeded: HTTP 200 from 127.0.0.1:")
    assert "State: ok" in posted.args["text"]
    assert posted.args["thread_ts"] is not None
    (request,) = [r for r in sandbox.deploy_api.requests if "cluster" in r.path]
    assert request.authorization == f"Bearer {TOKEN}"  # the target did get the secret
    everything = _everything_slack_got(sandbox)
    assert TOKEN not in everything and GITHUB not in everything


async def test_an_oversized_body_is_capped_in_the_thread(
    sandbox: SlackSandbox, database_url: str
) -> None:
    """A 200 KB status body (no result block: the default rendering) is read up to 64 KiB
    and shown within the default cap, marked as cut."""
    sandbox.deploy_api.status_extra = {"log": "x" * 200_000}
    async with running_bot(sandbox, database_url, config=_config(sandbox.base_url), environ=ENV):
        await _say(sandbox, "status of api")
        posted = await sandbox.calls.wait_for("chat.postMessage", where=_output_post, timeout=10)
    section, context = posted.args["blocks"]
    assert len(section["text"]["text"]) < 1600 and section["text"]["text"].count("x") > 1000
    assert "output cut to fit" in context["elements"][0]["text"]
    assert len(posted.args["text"]) <= 3900


def _tool_outputs(body: JSON | None) -> list[str]:
    """The tool results a chat request carries (OpenAI's tool messages, Anthropic's
    tool_result blocks)."""
    found: list[str] = []
    for message in (body or {}).get("messages", []):
        content = message.get("content")
        if message.get("role") == "tool" and isinstance(content, str):
            found.append(content)
        elif isinstance(content, list):
            for block in content:
                if isinstance(block, dict) and block.get("type") == "tool_result":
                    inner = block.get("content")
                    found.append(inner if isinstance(inner, str) else json.dumps(inner))
    return found


def _system_text(body: JSON | None) -> str:
    body = body or {}
    system = body.get("system")
    parts = [json.dumps(system)] if system is not None else []
    parts += [
        json.dumps(m.get("content")) for m in body.get("messages", []) if m.get("role") == "system"
    ]
    return "\n".join(parts)


def _answer_from_the_tool_output(body: JSON) -> Step:
    """The scripted model: the first call reads health; once the result is back, it answers
    with the version it read there (so the answer can only come from the tool output)."""
    outputs = _tool_outputs(body)
    if not outputs:
        return tool_call("health", {"env": "prod"})
    version = next(
        line.split(": ", 1)[1] for line in outputs[-1].splitlines() if line.startswith("Version: ")
    )
    return reply(f"prod is healthy and runs {version}.")


@pytest.mark.parametrize("kind", ["openai", "anthropic"])
async def test_a_model_reads_the_health_then_answers_with_it(
    sandbox: SlackSandbox, database_url: str, llm: ScriptedLLMServer, kind: str
) -> None:
    """The model calls the read tool; the turn runs it and the model receives the delimited,
    untrusted result (the secret already redacted) and answers from it; the thread shows
    the fields above the answer; the trace records the read."""
    sandbox.deploy_api.versions["cluster"] = "v3.1.4"
    sandbox.deploy_api.status_extra = {"note": f"rotated {GITHUB}", "api_token": TOKEN}
    llm.responder = _answer_from_the_tool_output
    url = llm.openai_base_url if kind == "openai" else llm.anthropic_base_url
    config = _config(sandbox.base_url, llm_url=url, kind=kind)
    async with running_bot(sandbox, database_url, config=config, environ=ENV) as bot:
        await _say(sandbox, "deploy: how is prod doing?")
        answer = await sandbox.calls.wait_for("chat.postMessage", where=_reply_post, timeout=10)
        await bot.idle()
        trace_id = answer.args["metadata"]["event_payload"]["trace_id"]
        trace = await bot.runtime.database.traces.get(trace_id)
    assert "prod is healthy and runs v3.1.4." in answer.args["text"]
    first, second = llm.requests
    assert TOOL_OUTPUT_RULE in _system_text(first.body)
    (received,) = _tool_outputs(second.body)
    assert received.startswith('<tool_output source="health" trust="untrusted">\nstatus: succeeded')
    assert received.endswith("</tool_output>") and "Version: v3.1.4" in received
    assert "[redacted:secret-field]" in received and "[redacted:github-token]" in received
    everything_the_model_got = json.dumps([r.body for r in llm.requests])
    assert TOKEN not in everything_the_model_got and GITHUB not in everything_the_model_got
    posts = sandbox.calls.for_method("chat.postMessage")
    shown = [i for i, call in enumerate(posts) if _output_post(call)]
    replied = [i for i, call in enumerate(posts) if _reply_post(call)]
    assert len(shown) == 1 and shown[0] < replied[0]  # the result above the answer
    assert TOKEN not in _everything_slack_got(sandbox)
    assert trace is not None and trace.tool_calls == ("health:read_succeeded",)
    assert trace.planner == "llm"


async def test_a_read_slower_than_the_wait_is_reported_then_posted_when_done(
    sandbox: SlackSandbox, database_url: str, llm: ScriptedLLMServer
) -> None:
    """The target takes 3 s, the agent waits 1 s: the model is told the read did not finish
    and answers; the read completes in the background and its fields reach the thread."""
    sandbox.deploy_api.delay_next(3.0)
    llm.script(tool_call("health", {"env": "prod"}), reply("still checking; see the thread."))
    config = _config(sandbox.base_url, llm_url=llm.openai_base_url, tool_wait="1s")
    async with running_bot(sandbox, database_url, config=config, environ=ENV):
        await _say(sandbox, "deploy: how is prod doing?")
        answer = await sandbox.calls.wait_for("chat.postMessage", where=_reply_post, timeout=10)
        late = await sandbox.calls.wait_for("chat.postMessage", where=_output_post, timeout=10)
    assert "still checking" in answer.args["text"]
    (received,) = _tool_outputs(llm.requests[1].body)
    assert "status: not_finished" in received and "did not finish within 1s" in received
    assert "State: ok" in late.args["text"]
    assert sandbox.calls.for_method("chat.postMessage").index(answer) < (
        sandbox.calls.for_method("chat.postMessage").index(late)
    )
