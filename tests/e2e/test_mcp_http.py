"""MCP servers over Streamable HTTP and the life of a running server's tools, through the real
app, sandbox, database and worker: the sandbox's MCP server runs as its own process on a
loopback port and requires a bearer token the bot sends from ``${OPS_MCP_TOKEN}``."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
import sqlalchemy as sa

from agents.actions.jobs import AuditQuery
from bot.cli.config import check_command
from bot.config_file import parse_config
from handlers.approval_blocks import APPROVE_ACTION
from sandbox import ApiCall, SlackSandbox
from tests.e2e.conftest import Bot, running_bot
from tests.e2e.mcp_http import McpFiles, calls, http_mcp_server, set_control, start_up_failure

TOKEN = "sandbox-mcp-token-7f3a"  # the secret that must never show

CONFIG = """
version: 1
mcp:
  servers:
    - name: ops
      url: {url}
      headers: {{Authorization: "Bearer ${{OPS_MCP_TOKEN}}"}}
      agent: deploy
      timeout: 20s
      breaker: {{failures: 2, cooldown: 10m}}
      tools: {{allow: [cluster_health, slow_report, flaky_check, deploy, rollback]}}
      approval:
        approvers: {{users: [U0BOB]}}
      per_tool:
        deploy: {{approval: {{approvers: {{users: [U0BOB]}}}}}}
        cluster_health: {{rate_limit: 2}}
        slow_report: {{timeout: 1s}}
"""


@pytest.fixture
def files(tmp_path: Path) -> McpFiles:
    return McpFiles(tmp_path)


@pytest.fixture
async def url(files: McpFiles) -> AsyncIterator[str]:
    async with http_mcp_server(files, bearer=TOKEN) as address:
        yield address


@pytest.fixture
async def http_bot(sandbox: SlackSandbox, database_url: str, url: str) -> AsyncIterator[Bot]:
    config = parse_config(CONFIG.format(url=url))
    environ = {"OPS_MCP_TOKEN": TOKEN}
    async with running_bot(sandbox, database_url, config=config, environ=environ) as bot:
        yield bot


async def _request(sandbox: SlackSandbox, text: str, *, user: str = "U0ALICE") -> ApiCall:
    before = sandbox.calls.count("chat.postMessage")
    await sandbox.people.say(f"<@U0BOT> {text}", user=user)
    return await sandbox.calls.wait_for("chat.postMessage", count=before + 1)


async def _shown(sandbox: SlackSandbox, text: str, method: str = "chat.postMessage") -> ApiCall:
    """Await a post (or update) in Slack that shows ``text``."""
    return await sandbox.calls.wait_for(method, where=lambda c: text in str(c.args), timeout=30)


async def _schema_changes(bot: Bot, action: str, change: Callable[[], None]) -> None:
    """Make ``change`` on the server and await the bot's seeing it (the server applies its
    control file within 50 ms and then announces the new tool list)."""
    assert bot.runtime.mcp is not None
    configs = bot.runtime.mcp.configs
    before = configs[action]
    change()
    for _ in range(200):
        if configs[action] != before:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"the bot never saw {action}'s schema change")


async def _rows(bot: Bot) -> list[dict[str, object]]:
    async with bot.runtime.database.engine.connect() as conn:
        rows = await conn.execute(
            sa.text("SELECT state, result, canonical_json FROM approvals ORDER BY created_at")
        )
        return [dict(r._mapping) for r in rows]


async def test_an_http_servers_read_tool_answers_at_once(
    sandbox: SlackSandbox, http_bot: Bot, files: McpFiles
) -> None:
    """The bot reaches the server over Streamable HTTP with the bearer token from the
    environment; the read tool's text shows in the thread; the token is nowhere stored."""
    await _request(sandbox, "ops cluster_health db1")
    await _shown(sandbox, "3/3 nodes healthy, replication lag 0s")
    assert calls(files) == [{"tool": "cluster_health", "arguments": {"cluster": "db1"}}]
    (row,) = await _rows(http_bot)
    assert row["state"] == "succeeded"
    assert '"headers":["Authorization"]' in str(row["canonical_json"])
    assert TOKEN not in str(row) and TOKEN not in str(sandbox.calls.all())


async def test_a_wrong_or_missing_bearer_token_is_reported_at_start_up_and_by_config_check(
    sandbox: SlackSandbox, database_url: str, url: str, tmp_path: Path
) -> None:
    """With a wrong token the server answers 401: start-up logs the server as unavailable
    with that reason (the bot runs without its tools); ``config check`` says the same and
    fails; a token variable that is not set is named."""
    text = CONFIG.format(url=url)
    wrong = {"OPS_MCP_TOKEN": "not-the-token-9c1d"}
    reason, logs = await start_up_failure(sandbox, database_url, parse_config(text), wrong)
    assert "HTTP 401: refused, check the server's headers" in reason
    assert "not-the-token-9c1d" not in str(logs)
    path = tmp_path / "switchboard.yaml"
    path.write_text(text, encoding="utf-8")
    out = io.StringIO()
    assert await asyncio.to_thread(check_command, path, out=out, environ=wrong) == 2
    assert "mcp ops: error:" in out.getvalue() and "HTTP 401" in out.getvalue()
    assert "not-the-token-9c1d" not in out.getvalue()
    out = io.StringIO()
    assert await asyncio.to_thread(check_command, path, out=out, environ={}) == 2
    assert "a header needs ${OPS_MCP_TOKEN}, which is not set" in out.getvalue()


async def test_a_tool_whose_schema_changed_while_its_approval_waited_is_refused(
    sandbox: SlackSandbox, http_bot: Bot, files: McpFiles
) -> None:
    """Deploy is requested with its first schema; the server changes deploy's schema while
    the card waits; Bob approves. The bot lists the tools again before running: the digest no
    longer matches, so deploy is not called; the card and the thread say the tool's input
    schema changed, and the audit trail says why."""
    card = await _request(sandbox, "ops deploy api")
    assert "ops_deploy service=api" in card.args["text"]
    await _schema_changes(http_bot, "ops_deploy", lambda: set_control(files, deploy_schema=2))
    await sandbox.people.click(card.response["ts"], APPROVE_ACTION, user="U0BOB")
    failed = await _shown(sandbox, "input schema changed", "chat.update")
    told = await _shown(sandbox, "was not run: The action changed")
    assert "Failed" in str(failed.args["blocks"])
    assert told.args["thread_ts"] == card.args["thread_ts"] and "<@U0ALICE>" in told.args["text"]
    assert [c["tool"] for c in calls(files)] == []
    (row,) = await _rows(http_bot)
    assert row["state"] == "failed"
    entries = await http_bot.runtime.database.audit.entries(AuditQuery(limit=20))
    assert entries[-1].kind == "failed"
    assert entries[-1].details["changed"] == "the tool's input schema changed"


async def test_a_tool_the_server_adds_becomes_an_action_without_a_restart(
    sandbox: SlackSandbox, http_bot: Bot, files: McpFiles
) -> None:
    """The server starts offering rollback (a read) and says its tool list changed: the bot
    lists it again, rollback becomes an action, and asked for, it runs on the live session."""
    catalog = http_bot.runtime.domain.operations.catalog
    assert catalog.action("ops_rollback") is None
    set_control(files, rollback=True)
    for _ in range(200):
        if catalog.action("ops_rollback") is not None:
            break
        await asyncio.sleep(0.05)
    assert catalog.action("ops_rollback") is not None
    await _request(sandbox, "ops rollback api")
    await _shown(sandbox, "rolled back api")
    assert calls(files) == [{"tool": "rollback", "arguments": {"service": "api"}}]


async def test_a_failing_tool_opens_the_servers_breaker(
    sandbox: SlackSandbox, http_bot: Bot, files: McpFiles
) -> None:
    """Two failed calls (the server's ``breaker.failures``) open the breaker: the third
    request is refused without reaching the server."""
    for number in (1, 2):
        await _request(sandbox, f"ops flaky_check db{number}")
        await sandbox.calls.wait_for(
            "chat.postMessage",
            where=lambda c: "ops.flaky_check reported an error" in str(c.args),
            count=number,
            timeout=30,
        )
    await _request(sandbox, "ops flaky_check db3")
    await _shown(sandbox, "mcp:ops is unavailable (circuit open); not attempted")
    assert [c["arguments"]["target"] for c in calls(files)] == ["db1", "db2"]


async def test_a_slow_tool_times_out_as_unknown(
    sandbox: SlackSandbox, http_bot: Bot, files: McpFiles
) -> None:
    """slow_report's own 1 s timeout cuts the call off after it was sent: ``unknown``."""
    await _request(sandbox, "ops slow_report 5")
    await _shown(sandbox, "no answer within 1s")
    assert [row["state"] for row in await _rows(http_bot)] == ["unknown"]
    assert calls(files) == [{"tool": "slow_report", "arguments": {"seconds": 5}}]


async def test_a_tool_beyond_its_rate_limit_is_refused_politely(
    sandbox: SlackSandbox, http_bot: Bot, files: McpFiles
) -> None:
    """cluster_health allows two calls a minute: the third is refused with when to try
    again, and the server never sees it."""
    for cluster in ("db1", "db2"):
        await _request(sandbox, f"ops cluster_health {cluster}")
        await _shown(sandbox, f"cluster {cluster}: 3/3 nodes healthy")
    await _request(sandbox, "ops cluster_health db3")
    await _shown(sandbox, "may run at most 2 time(s) a minute; it was not run")
    assert [c["arguments"]["cluster"] for c in calls(files)] == ["db1", "db2"]
