"""Agents get MCP tools by scope, through the real app, sandbox, database and worker, with the
sandbox's MCP server (``sandbox.mcp_server``) started over stdio by the bot itself.

The server has no owning agent: its tools are used only by the agents whose ``mcp`` scope
names them. ``dba`` (bound to #random) may use ``cluster_health`` alone."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.config_file import parse_config
from handlers.approval_blocks import APPROVE_ACTION
from sandbox import ApiCall, SlackSandbox
from sandbox.llm_server import ScriptedLLMServer
from sandbox.llm_steps import reply, tool_call
from tests.e2e.conftest import Bot, running_bot
from tests.e2e.llm_config import LLM_KEY
from tests.e2e.test_llm_turns import _trace
from tests.e2e.test_mcp import _calls

DBA = "C0RANDOM"

CONFIG = f"""
version: 1
agents:
  - name: dba
    channels: [{DBA}]
    mcp: ["ops:cluster_health"]
    {{model}}
mcp:
  servers:
    - name: ops
      command: [{sys.executable}, -m, sandbox.mcp_server]
      env: [SANDBOX_MCP_CALL_LOG]
      timeout: 20s
      per_tool:
        failover: {{{{approval: {{{{approvers: {{{{users: [U0BOB]}}}}}}}}}}}}
{{providers}}"""

MODEL = "model: {providers: [primary], model: test-model, max_steps: 3, max_tool_calls: 3}"
PROVIDERS = """providers:
  - name: primary
    kind: openai
    base_url: {url}
    api_key_env: PRIMARY_LLM_KEY
    timeout: 5s
    prices: {{test-model: {{input: 1.0, output: 2.0}}}}
"""


def _config(*, scope: str = '"ops:cluster_health"', llm: str | None = None) -> str:
    text = CONFIG.format(
        model=MODEL if llm else "",
        providers=PROVIDERS.format(url=llm) if llm else "",
    )
    return text.replace('"ops:cluster_health"', scope)


@pytest.fixture(autouse=True)
def bot_in_dba_channel(sandbox: SlackSandbox) -> None:
    """The bot was invited to dba's channel (#random)."""
    sandbox.workspace.channel(DBA).members.add(sandbox.workspace.directory.bot_user_id)


@pytest.fixture
def call_log(tmp_path: Path) -> Path:
    return tmp_path / "mcp-calls.jsonl"


@pytest.fixture
async def dba_bot(sandbox: SlackSandbox, database_url: str, call_log: Path) -> AsyncIterator[Bot]:
    environ = {"SANDBOX_MCP_CALL_LOG": str(call_log)}
    async with running_bot(
        sandbox, database_url, config=parse_config(_config()), environ=environ
    ) as bot:
        yield bot


async def _say(sandbox: SlackSandbox, text: str, *, channel: str = DBA) -> ApiCall:
    before = sandbox.calls.count("chat.postMessage")
    await sandbox.people.say(f"<@U0BOT> {text}", channel=channel)
    return await sandbox.calls.wait_for("chat.postMessage", count=before + 1, timeout=30)


async def _approvals(bot: Bot) -> list[tuple[str, str, str | None]]:
    async with bot.runtime.database.engine.connect() as conn:
        rows = await conn.execute(
            sa.text("SELECT action, state, agent FROM approvals ORDER BY created_at")
        )
        return [(str(r[0]), str(r[1]), r[2]) for r in rows]


async def test_the_rules_planner_runs_an_in_scope_tool_in_the_agents_channel(
    sandbox: SlackSandbox, dba_bot: Bot, call_log: Path
) -> None:
    """``ops cluster_health db1`` (the tool's default command format) in dba's channel runs
    at once; the request remembers the agent it was run for."""
    await _say(sandbox, "ops cluster_health db1")
    await sandbox.calls.wait_for(
        "chat.postMessage", where=lambda c: "3/3 nodes healthy" in str(c.args), timeout=30
    )
    assert _calls(call_log) == [{"tool": "cluster_health", "arguments": {"cluster": "db1"}}]
    assert await _approvals(dba_bot) == [("ops_cluster_health", "succeeded", "dba")]


async def test_the_rules_planner_refuses_a_tool_outside_the_agents_scope(
    sandbox: SlackSandbox, dba_bot: Bot, call_log: Path
) -> None:
    """``ops failover db1 eu`` matches a tool's format, but dba's scope does not name it
    (and no agent owns it to hand it off to): refused by name, nothing stored or called."""
    posted = await _say(sandbox, "ops failover db1 eu")
    assert posted.args["text"].splitlines() == [
        "`ops_failover` is not in the scope of agent `dba`, so it was not run.",
        "Switchboard: refused `ops_failover`: not an action this agent offers you",
    ]
    trace = await _trace(dba_bot, posted)
    assert (trace.agent, trace.tool_calls) == ("dba", ("ops_failover:refused_scope",))
    assert await _approvals(dba_bot) == [] and _calls(call_log) == []


async def test_the_model_is_offered_only_the_tools_in_its_agents_scope_and_cannot_call_others(
    sandbox: SlackSandbox, database_url: str, call_log: Path
) -> None:
    """A compromised model calls ``ops_failover``, which it was not offered: the call is
    refused (the trace says so), nothing is stored and the MCP server is never called."""
    async with ScriptedLLMServer(api_key=LLM_KEY) as llm:
        llm.script(
            tool_call("ops_failover", {"cluster": "db1", "region": "eu", "force": True}),
            reply("I cannot fail the cluster over."),
        )
        config = parse_config(_config(llm=llm.openai_base_url))
        environ = {"SANDBOX_MCP_CALL_LOG": str(call_log), "PRIMARY_LLM_KEY": LLM_KEY}
        async with running_bot(sandbox, database_url, config=config, environ=environ) as bot:
            posted = await _say(sandbox, "fail db1 over to eu, now")
            trace = await _trace(bot, posted)
            stored = await _approvals(bot)
        first, second = llm.requests
    offered = [t["function"]["name"] for t in (first.body or {})["tools"]]
    assert offered == ["ops_cluster_health"]
    told = [m for m in (second.body or {})["messages"] if m["role"] == "tool"]
    assert "tool 'ops_failover' is not available" in told[0]["content"]
    assert trace.tool_calls == ("ops_failover:refused_scope",)
    assert stored == [] and _calls(call_log) == []


async def test_a_request_whose_agent_lost_the_tool_before_approval_is_not_run(
    sandbox: SlackSandbox, database_url: str, call_log: Path
) -> None:
    """dba requests ``failover`` (in its scope then); the bot restarts with dba's scope
    narrowed; bob's approval does not run it: the worker checks the scope again."""
    environ = {"SANDBOX_MCP_CALL_LOG": str(call_log)}
    wide = parse_config(_config(scope='"ops:cluster_health", "ops:failover"'))
    async with running_bot(sandbox, database_url, config=wide, environ=environ):
        card = await _say(sandbox, "ops failover db1 eu")
        assert card.args["text"].endswith("ops_failover cluster=db1 force=False region=eu"), (
            card.args["text"]
        )
    async with running_bot(
        sandbox, database_url, config=parse_config(_config()), environ=environ
    ) as bot:
        await sandbox.people.click(card.response["ts"], APPROVE_ACTION, user="U0BOB", channel=DBA)
        await sandbox.calls.wait_for(
            "chat.update",
            where=lambda c: "no longer in the scope of agent `dba`" in str(c.args),
            timeout=30,
        )
        assert await _approvals(bot) == [("ops_failover", "failed", "dba")]
    assert _calls(call_log) == []


async def test_a_missing_parameter_is_asked_for_and_the_answer_runs_the_tool(
    sandbox: SlackSandbox, dba_bot: Bot, call_log: Path
) -> None:
    """``ops_cluster_health`` without its cluster: the bot asks; the answer in the thread
    completes the request (the tool has no owning agent: the turn stays with dba)."""
    asked = await _say(sandbox, "ops_cluster_health")
    assert "cluster" in asked.args["text"]
    await sandbox.people.say("db2", channel=DBA, thread_ts=asked.args["thread_ts"])
    await sandbox.calls.wait_for(
        "chat.postMessage", where=lambda c: "cluster db2: 3/3" in str(c.args), timeout=30
    )
    assert _calls(call_log) == [{"tool": "cluster_health", "arguments": {"cluster": "db2"}}]
