"""MCP tools as actions, through the real app, sandbox, database and worker, with the
sandbox's MCP server (``sandbox.mcp_server``) started over stdio by the bot itself."""

from __future__ import annotations

import json
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from structlog.testing import capture_logs

from bot.config_file import ConfigFileError, parse_config
from handlers.approval_blocks import APPROVE_ACTION
from sandbox import ApiCall, SlackSandbox
from tests.e2e.conftest import Bot, running_bot

CONFIG = f"""
version: 1
mcp:
  servers:
    - name: ops
      command: [{sys.executable}, -m, sandbox.mcp_server]
      env: [SANDBOX_MCP_CALL_LOG]
      agent: deploy
      timeout: 20s
      tools: {{allow: [cluster_health, failover]}}
      per_tool:
        failover:
          approval:
            approvers: {{users: [U0BOB, U0CAROL]}}
            quorum: 2
          formats: ["failover {{cluster}} to {{region}}"]
"""


@pytest.fixture
def call_log(tmp_path: Path) -> Path:
    return tmp_path / "mcp-calls.jsonl"


@pytest.fixture
async def mcp_bot(sandbox: SlackSandbox, database_url: str, call_log: Path) -> AsyncIterator[Bot]:
    environ = {"SANDBOX_MCP_CALL_LOG": str(call_log)}
    async with running_bot(
        sandbox, database_url, config=parse_config(CONFIG), environ=environ
    ) as bot:
        yield bot


def _calls(log: Path) -> list[dict[str, Any]]:
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]


async def _request(sandbox: SlackSandbox, text: str, *, user: str = "U0ALICE") -> ApiCall:
    before = sandbox.calls.count("chat.postMessage")
    await sandbox.people.say(f"<@U0BOT> {text}", user=user)
    return await sandbox.calls.wait_for("chat.postMessage", count=before + 1)


async def _shown(sandbox: SlackSandbox, text: str, method: str = "chat.update") -> None:
    """Await a post (or update) in Slack that shows ``text``."""
    await sandbox.calls.wait_for(method, where=lambda c: text in str(c.args), timeout=30)


async def _states(bot: Bot) -> list[str]:
    async with bot.runtime.database.engine.connect() as conn:
        rows = await conn.execute(sa.text("SELECT state FROM approvals ORDER BY created_at"))
        return [str(r[0]) for r in rows]


async def test_the_read_tool_runs_at_once_and_its_text_shows_in_the_thread(
    sandbox: SlackSandbox, mcp_bot: Bot, call_log: Path
) -> None:
    await _request(sandbox, "ops cluster_health db1")
    await _shown(sandbox, "3/3 nodes healthy, replication lag 0s", "chat.postMessage")
    assert _calls(call_log) == [{"tool": "cluster_health", "arguments": {"cluster": "db1"}}]
    assert await _states(mcp_bot) == ["succeeded"]


async def test_the_destructive_tool_needs_a_quorum_and_runs_once(
    sandbox: SlackSandbox, mcp_bot: Bot, call_log: Path
) -> None:
    card = await _request(sandbox, "failover db1 to eu")
    assert card.args["text"].endswith("ops_failover cluster=db1 force=False region=eu")
    assert "'confirm'" in str(card.args["blocks"])  # dangerous: the Approve button confirms
    shown = f"MCP server `ops` tool `failover` via `{sys.executable} -m sandbox.mcp_server`"
    assert shown in str(card.args["blocks"])
    ts = card.response["ts"]
    assert _calls(call_log) == []
    await sandbox.people.click(ts, APPROVE_ACTION, user="U0BOB")
    await sandbox.calls.wait_for("chat.update", where=lambda c: "1 of 2" in str(c.args["blocks"]))
    assert await _states(mcp_bot) == ["pending"] and _calls(call_log) == []
    await sandbox.people.click(ts, APPROVE_ACTION, user="U0CAROL")
    await sandbox.calls.wait_for(
        "chat.update", where=lambda c: "Succeeded" in str(c.args["blocks"]), timeout=30
    )
    await _shown(sandbox, "ops.failover succeeded")
    assert await _states(mcp_bot) == ["succeeded"]
    assert _calls(call_log) == [
        {"tool": "failover", "arguments": {"cluster": "db1", "region": "eu", "force": False}}
    ]


async def test_the_requester_cannot_approve_the_destructive_tool(
    sandbox: SlackSandbox, mcp_bot: Bot, call_log: Path
) -> None:
    card = await _request(sandbox, "failover db1 to us", user="U0BOB")
    await sandbox.people.click(card.response["ts"], APPROVE_ACTION, user="U0BOB")
    await sandbox.calls.wait_for("chat.postEphemeral")
    assert await _states(mcp_bot) == ["pending"] and _calls(call_log) == []


async def test_a_server_that_cannot_start_is_logged_and_the_bot_starts_without_it(
    sandbox: SlackSandbox, database_url: str
) -> None:
    broken = CONFIG.replace(sys.executable, "/nonexistent/python")
    with capture_logs() as logs:
        async with running_bot(sandbox, database_url, config=parse_config(broken)) as bot:
            card = await _request(sandbox, "failover db1 to eu")
            assert "Waiting for approval" not in card.args["text"]
            assert await _states(bot) == []
    (unavailable,) = [e for e in logs if e["event"] == "mcp_server_unavailable"]
    assert unavailable["server"] == "ops" and "FileNotFoundError" in unavailable["reason"]


async def test_a_risk_looser_than_the_annotations_stops_start_up(
    sandbox: SlackSandbox, database_url: str
) -> None:
    looser = CONFIG.replace("        failover:\n", "        failover:\n          risk: write\n")
    with pytest.raises(ConfigFileError) as caught:
        async with running_bot(sandbox, database_url, config=parse_config(looser)):
            pytest.fail("the bot started")
    (issue,) = caught.value.issues
    assert issue.field_path == "mcp.servers[0].per_tool.failover.risk"
    assert "dangerous by its annotations; risk write would be looser" in issue.message
