"""The long-lived session with one server, against the sandbox's MCP server over real stdio:
tool-list changes reach the bot, and a session that broke is opened again."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import pytest

from bot.config_file import McpEndpoint
from bot.integrations.mcp.client import McpCallError, McpTool
from bot.integrations.mcp.connection import McpConnection

SERVER = (sys.executable, "-m", "sandbox.mcp_server")


@pytest.fixture
def control(tmp_path: Path) -> Path:
    path = tmp_path / "control.json"
    path.write_text("{}", encoding="utf-8")
    return path


def _set(control: Path, values: dict[str, object]) -> None:
    control.write_text(json.dumps(values), encoding="utf-8")


def _connection(control: Path) -> McpConnection:
    endpoint = McpEndpoint("ops", argv=SERVER, env=("SANDBOX_MCP_CONTROL",))
    return McpConnection(endpoint, {"SANDBOX_MCP_CONTROL": str(control)}, timeout=20)


async def test_a_tool_list_change_is_listed_again_and_handed_on(control: Path) -> None:
    """The server announces ``tools/list_changed``: the connection lists the tools again and
    hands them to ``on_tools`` (the new tool and the new schema included)."""
    connection = _connection(control)
    told: asyncio.Queue[tuple[McpTool, ...]] = asyncio.Queue()

    async def on_tools(tools: tuple[McpTool, ...]) -> None:
        await told.put(tools)

    connection.on_tools = on_tools
    try:
        before = {tool.name: tool for tool in await connection.tools()}
        assert "rollback" not in before
        _set(control, {"rollback": True, "deploy_schema": 2})
        after = {tool.name: tool for tool in await asyncio.wait_for(told.get(), timeout=20)}
    finally:
        await connection.close()
    assert "rollback" in after
    assert before["deploy"].input_schema != after["deploy"].input_schema
    assert after["deploy"].input_schema["required"] == ["service", "version"]


async def test_a_session_that_broke_is_opened_again_on_the_next_call(control: Path) -> None:
    """The server stops mid-call: that call may have happened (``sent``); the next call
    starts the server again and is answered."""
    connection = _connection(control)
    try:
        with pytest.raises(McpCallError) as caught:
            await connection.call("crash", {}, timeout=20)
        assert caught.value.sent
        answer = await connection.call("cluster_health", {"cluster": "db1"}, timeout=20)
    finally:
        await connection.close()
    assert answer.text.startswith("cluster db1: 3/3 nodes healthy")
