"""Tools a server adds or withdraws while the bot runs reach agents' scopes and the LLM
planner's tool schema without a restart, through the real app, sandbox, database, worker and
the scripted OpenAI-compatible server; the sandbox's MCP server runs over stdio and changes
its tools from its control file.

``dba`` (bound to #random) has scope ``ops:*``; ``viewer`` (bound to #general) has
``ops:cluster_health``. The server starts without ``rollback``, whose requesters are the
``@oncall`` user group (named by no other action: resolved when the tool appears)."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from bot.config_file import parse_config
from sandbox import ApiCall, SlackSandbox
from sandbox.llm_server import ScriptedLLMServer
from sandbox.llm_steps import reply, tool_call
from tests.e2e.conftest import Bot, running_bot
from tests.e2e.llm_config import LLM_KEY
from tests.e2e.mcp_http import McpFiles, calls, set_control, until
from tests.e2e.test_llm_turns import _trace

DBA, VIEWER = "C0RANDOM", "C0GENERAL"
MODEL = "{providers: [primary], model: test-model, max_steps: 3, max_tool_calls: 3}"
CONFIG = f"""
version: 1
agents:
  - name: dba
    channels: [{DBA}]
    mcp: ["ops:*"]
    model: {MODEL}
  - name: viewer
    channels: [{VIEWER}]
    mcp: ["ops:cluster_health"]
    model: {MODEL}
mcp:
  servers:
    - name: ops
      command: [{sys.executable}, -m, sandbox.mcp_server]
      env: [SANDBOX_MCP_CALL_LOG, SANDBOX_MCP_CONTROL]
      timeout: 20s
      tools: {{allow: [cluster_health, rollback]}}
      per_tool:
        rollback: {{requesters: {{groups: [oncall]}}}}
providers:
  - name: primary
    kind: openai
    base_url: {{url}}
    api_key_env: PRIMARY_LLM_KEY
    timeout: 5s
"""


@pytest.fixture(autouse=True)
def workspace(sandbox: SlackSandbox) -> None:
    """The bot is in #random; alice is on call, carol is not."""
    sandbox.workspace.channel(DBA).members.add(sandbox.workspace.directory.bot_user_id)
    sandbox.workspace.directory.add_usergroup("S0ONCALL", "oncall", ["U0ALICE"])


@pytest.fixture
async def llm() -> AsyncIterator[ScriptedLLMServer]:
    async with ScriptedLLMServer(api_key=LLM_KEY) as server:
        yield server


@pytest.fixture
def files(tmp_path: Path) -> McpFiles:
    return McpFiles(tmp_path)


@pytest.fixture
async def bot(
    sandbox: SlackSandbox, database_url: str, llm: ScriptedLLMServer, files: McpFiles
) -> AsyncIterator[Bot]:
    config = parse_config(CONFIG.replace("{url}", llm.openai_base_url))
    environ = {**files.env, "PRIMARY_LLM_KEY": LLM_KEY}
    async with running_bot(sandbox, database_url, config=config, environ=environ) as running:
        yield running


def _offered_now(bot: Bot, name: str) -> Callable[[], bool]:
    catalog = bot.runtime.domain.operations.catalog
    return lambda: name in {a.name for a in catalog.actions}


async def _say(sandbox: SlackSandbox, text: str, channel: str, user: str = "U0ALICE") -> ApiCall:
    before = sandbox.calls.count("chat.postMessage")
    await sandbox.people.say(f"<@U0BOT> {text}", channel=channel, user=user)
    return await sandbox.calls.wait_for("chat.postMessage", count=before + 1, timeout=30)


def _tools(llm: ScriptedLLMServer, index: int) -> list[str]:
    return [t["function"]["name"] for t in (llm.requests[index].body or {}).get("tools", [])]


async def test_a_tool_added_while_running_is_offered_by_scope_and_withdrawn_again(
    sandbox: SlackSandbox, bot: Bot, llm: ScriptedLLMServer, files: McpFiles
) -> None:
    """Before rollback exists dba's model is offered cluster_health alone. The server adds
    rollback: dba (``ops:*``) is offered it and its model's call runs it; viewer
    (``ops:cluster_health``) is not offered it and its model's call of it is refused, the
    server never called. The server withdraws rollback: dba is no longer offered it."""
    llm.script(reply("Nothing to roll back."))
    await _say(sandbox, "what can you do for the api service?", DBA)
    assert _tools(llm, 0) == ["ops_cluster_health"]

    set_control(files, rollback=True)
    await until(_offered_now(bot, "ops_rollback"), "rollback offered")
    llm.script(tool_call("ops_rollback", {"service": "api"}), reply("Rolled back api."))
    await _say(sandbox, "roll the api service back", DBA)
    await sandbox.calls.wait_for(
        "chat.postMessage", where=lambda c: "Rolled back api." in str(c.args), timeout=30
    )
    assert sorted(_tools(llm, 1)) == ["ops_cluster_health", "ops_rollback"]
    assert calls(files) == [{"tool": "rollback", "arguments": {"service": "api"}}]

    llm.script(tool_call("ops_rollback", {"service": "db"}), reply("I cannot roll back."))
    posted = await _say(sandbox, "roll the db service back", VIEWER)
    assert _tools(llm, 3) == ["ops_cluster_health"]
    told = [m for m in (llm.requests[4].body or {})["messages"] if m["role"] == "tool"]
    assert "tool 'ops_rollback' is not available" in told[0]["content"]
    trace = await _trace(bot, posted)
    assert (trace.agent, trace.tool_calls) == ("viewer", ("ops_rollback:refused_scope",))
    assert len(calls(files)) == 1

    set_control(files, rollback=False)
    await until(lambda: not _offered_now(bot, "ops_rollback")(), "rollback withdrawn")
    llm.script(reply("Nothing to roll back."))
    await _say(sandbox, "anything to roll back?", DBA)
    assert _tools(llm, 5) == ["ops_cluster_health"]


async def test_a_tools_requester_group_is_resolved_when_the_tool_appears(
    sandbox: SlackSandbox, bot: Bot, llm: ScriptedLLMServer, files: McpFiles
) -> None:
    """``@oncall`` is named only by rollback, which the server adds while running: alice (on
    call) may run it by its command (the model is down: the rules planner plans it); carol
    (not on call) is refused."""
    set_control(files, rollback=True)
    await until(_offered_now(bot, "ops_rollback"), "rollback offered")
    refused = await _say(sandbox, "ops rollback web", DBA, user="U0CAROL")
    assert "ops_rollback" in refused.args["text"] and "was not run" in refused.args["text"]
    assert calls(files) == []
    await _say(sandbox, "ops rollback api", DBA, user="U0ALICE")
    await sandbox.calls.wait_for(
        "chat.postMessage", where=lambda c: "rolled back api" in str(c.args), timeout=30
    )
    assert calls(files) == [{"tool": "rollback", "arguments": {"service": "api"}}]
