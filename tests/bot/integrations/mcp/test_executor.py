"""The mcp executor and the SDK seam, against the sandbox's MCP server over real stdio."""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from datetime import timedelta
from pathlib import Path

import pytest

from agents.actions.execution import BODY_LIMIT, ExecutionRequest
from agents.actions.spec import ActionSpec, ExecutorInfo
from bot.config_file import McpExecutorConfig
from bot.integrations.executors import ConfigTargets
from bot.integrations.executors.mcp import McpExecutor
from bot.integrations.mcp.client import (
    McpCallError,
    McpCallResult,
    McpServerError,
    call_tool,
    list_tools,
)

SERVER = (sys.executable, "-m", "sandbox.mcp_server")
CONFIG = McpExecutorConfig(
    server="ops",
    argv=SERVER,
    env_allowlist=("SANDBOX_MCP_CALL_LOG",),
    tool="failover",
    timeout=timedelta(seconds=20),
)
REQUEST = ExecutionRequest(
    action="ops_failover",
    params={"cluster": "db1", "region": "eu"},
    idempotency_key="k",
    trace_id="t",
    requester="U0ALICE",
)


async def _no_sleep(_: float) -> None:
    return None


class FakeCall:
    def __init__(self, answer: McpCallResult | McpCallError) -> None:
        self.answer = answer
        self.calls: list[Mapping[str, object]] = []

    async def __call__(
        self, argv: Sequence[str], env: Mapping[str, str], **kwargs: object
    ) -> McpCallResult:
        self.calls.append({"argv": argv, "env": env, **kwargs})
        if isinstance(self.answer, McpCallError):
            raise self.answer
        return self.answer


def _executor(call: FakeCall, environ: Mapping[str, str] | None = None) -> McpExecutor:
    return McpExecutor(
        CONFIG, action="ops_failover", environ=environ or {}, sleep=_no_sleep, call=call
    )


async def test_success_returns_the_text_as_the_body_and_passes_only_allowlisted_env() -> None:
    call = FakeCall(McpCallResult(is_error=False, text="started"))
    environ = {"SANDBOX_MCP_CALL_LOG": "calls.jsonl", "SLACK_BOT_TOKEN": "xoxb-secret"}
    result = await _executor(call, environ).run(REQUEST)
    assert (result.outcome, result.summary, result.body) == (
        "succeeded",
        "ops.failover succeeded",
        "started",
    )
    (made,) = call.calls
    assert made["env"] == {"SANDBOX_MCP_CALL_LOG": "calls.jsonl"}
    assert made["tool"] == "failover" and made["timeout"] == 20.0


async def test_is_error_is_failed_with_the_tools_text() -> None:
    call = FakeCall(McpCallResult(is_error=True, text="cluster db1 is locked"))
    result = await _executor(call).run(REQUEST)
    assert (result.outcome, result.body) == ("failed", "cluster db1 is locked")


async def test_a_call_cut_off_after_sending_is_unknown_and_not_retried() -> None:
    call = FakeCall(McpCallError("no answer within 20s", sent=True))
    result = await _executor(call).run(REQUEST)
    assert result.outcome == "unknown"
    assert "no answer within 20s" in result.summary and "may have happened" in result.summary
    assert len(call.calls) == 1


async def test_a_server_that_never_started_is_failed() -> None:
    call = FakeCall(McpCallError("the call failed (FileNotFoundError)", sent=False))
    result = await _executor(call).run(REQUEST)
    assert result.outcome == "failed" and "FileNotFoundError" in result.summary
    assert len(call.calls) == 1


async def test_a_long_result_is_capped() -> None:
    call = FakeCall(McpCallResult(is_error=False, text="x" * (BODY_LIMIT + 10)))
    result = await _executor(call).run(REQUEST)
    assert result.body is not None and len(result.body) == BODY_LIMIT and result.body_truncated


def test_the_canonical_target_names_server_command_and_tool() -> None:
    action = ActionSpec("ops_failover", "deploy", "d", "dangerous", ExecutorInfo("mcp", "mcp:ops"))
    target = ConfigTargets({"ops_failover": CONFIG}).resolve(action, REQUEST.params)
    assert target == {
        "server": "ops",
        "argv": list(SERVER),
        "env": ["SANDBOX_MCP_CALL_LOG"],
        "tool": "failover",
    }


async def test_the_sdk_lists_and_calls_the_sandbox_server(tmp_path: Path) -> None:
    log = tmp_path / "calls.jsonl"
    env = {"SANDBOX_MCP_CALL_LOG": str(log)}
    tools = {tool.name: tool for tool in await list_tools("ops", SERVER, env, timeout=20)}
    assert set(tools) == {"cluster_health", "failover", "slow_report"}
    assert tools["cluster_health"].read_only and not tools["cluster_health"].destructive
    assert tools["failover"].destructive
    assert tools["failover"].input_schema["required"] == ["cluster", "region"]
    ok = await call_tool(
        SERVER, env, tool="cluster_health", arguments={"cluster": "db1"}, timeout=20
    )
    assert ok == McpCallResult(False, "cluster db1: 3/3 nodes healthy, replication lag 0s")
    refused = await call_tool(
        SERVER, env, tool="failover", arguments={"cluster": "db1", "region": "mars"}, timeout=20
    )
    assert refused.is_error
    assert [json.loads(line)["tool"] for line in log.read_text().splitlines()] == ["cluster_health"]


async def test_a_missing_command_is_a_server_error_naming_the_server() -> None:
    with pytest.raises(McpServerError, match="'ops': could not be started") as caught:
        await list_tools("ops", ["/nonexistent/ops-mcp"], {}, timeout=5)
    assert "FileNotFoundError" in caught.value.reason


async def test_a_server_that_does_not_answer_times_out() -> None:
    silent = [sys.executable, "-c", "import time; time.sleep(30)"]
    with pytest.raises(McpServerError, match=r"did not list its tools within 0\.5s"):
        await list_tools("ops", silent, {}, timeout=0.5)
    with pytest.raises(McpCallError) as caught:
        await call_tool(silent, {}, tool="failover", arguments={}, timeout=0.5)
    assert not caught.value.sent


async def test_a_call_sent_and_not_answered_in_time_may_have_happened(tmp_path: Path) -> None:
    log = tmp_path / "calls.jsonl"
    env = {"SANDBOX_MCP_CALL_LOG": str(log)}
    with pytest.raises(McpCallError, match="no answer within 4s") as caught:
        await call_tool(SERVER, env, tool="slow_report", arguments={"seconds": 30}, timeout=4)
    assert caught.value.sent
    assert "slow_report" in log.read_text()
