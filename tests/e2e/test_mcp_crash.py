"""The bot killed (SIGKILL) while an MCP tool runs: after a restart, the tool is not called
again (an MCP tool is never idempotent), the run ends ``unknown`` and the requester is asked."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from sandbox import SlackSandbox
from tests.e2e.process import BotProcess
from tests.e2e.test_mcp import CONFIG as MCP_CONFIG
from tests.e2e.test_mcp import _calls

pytestmark = pytest.mark.slow

CONFIG = MCP_CONFIG.replace("timeout: 20s", "timeout: 60s").replace(
    "allow: [cluster_health, failover]", "allow: [slow_report]"
)
"""The server of test_mcp, exposing only its slow tool (it answers after N seconds)."""


async def _called(log: Path) -> None:
    """Wait (bounded) until the MCP server logged a call."""
    for _ in range(400):
        if _calls(log):
            return
        await asyncio.sleep(0.05)
    pytest.fail("the MCP tool was never called")


async def _state(url: str) -> str:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            return str((await conn.execute(sa.text("SELECT state FROM approvals"))).scalar_one())
    finally:
        await engine.dispose()


async def test_a_crash_mid_call_does_not_call_the_tool_again_and_a_human_is_asked(
    sandbox: SlackSandbox, tmp_path: Path
) -> None:
    config = tmp_path / "switchboard.yaml"
    config.write_text(CONFIG, encoding="utf-8")
    log = tmp_path / "mcp-calls.jsonl"
    env = {
        "SWITCHBOARD_CONFIG": str(config),
        "SANDBOX_MCP_CALL_LOG": str(log),
        "SWITCHBOARD_JOB_LEASE_SECONDS": "1",
    }
    url = f"sqlite+aiosqlite:///{tmp_path / 'crash.db'}"
    first = BotProcess(sandbox, url, env=env)
    await first.start()
    await sandbox.people.say("<@U0BOT> ops slow_report 20")
    await _called(log)  # the call reached the server, which answers in 20 s
    await first.kill()
    second = BotProcess(sandbox, url, env=env)
    await second.start()
    try:
        note = await sandbox.calls.wait_for(
            "chat.postMessage",
            where=lambda c: "outcome unknown" in str(c.args.get("text")),
            timeout=30,
        )
        assert "<@U0ALICE>" in note.args["text"]  # the requester is asked to check
        assert await _state(url) == "unknown"
        assert _calls(log) == [{"tool": "slow_report", "arguments": {"seconds": 20}}]
    finally:
        assert await second.terminate() == 0
