"""The mcp executor (its retries and rate limit) and the SDK seam, against the sandbox's MCP
server over real stdio."""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from agents.actions.execution import BODY_LIMIT, ExecutionRequest
from agents.actions.spec import ActionSpec, ExecutorInfo
from bot.config_file import McpEndpoint, McpExecutorConfig
from bot.integrations.executors import ConfigTargets
from bot.integrations.executors.mcp import McpExecutor, RateLimitedExecutor
from bot.integrations.mcp.client import (
    McpCallError,
    McpCallResult,
    McpServerError,
    call_tool,
    list_tools,
)

SERVER = (sys.executable, "-m", "sandbox.mcp_server")
ENDPOINT = McpEndpoint("ops", argv=SERVER, env=("SANDBOX_MCP_CALL_LOG",))
CONFIG = McpExecutorConfig(
    endpoint=ENDPOINT, tool="failover", timeout=timedelta(seconds=20), schema_digest="abc"
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
    def __init__(self, *answers: McpCallResult | McpCallError) -> None:
        self.answers = list(answers)
        self.calls: list[Mapping[str, object]] = []

    async def __call__(
        self, tool: str, arguments: Mapping[str, object], *, timeout: float
    ) -> McpCallResult:
        self.calls.append({"tool": tool, "arguments": arguments, "timeout": timeout})
        answer = self.answers[0] if len(self.answers) == 1 else self.answers.pop(0)
        if isinstance(answer, McpCallError):
            raise answer
        return answer


def _executor(call: FakeCall, config: McpExecutorConfig = CONFIG) -> McpExecutor:
    return McpExecutor("ops_failover", configs={"ops_failover": config}, call=call, sleep=_no_sleep)


async def test_success_returns_the_text_as_the_body() -> None:
    call = FakeCall(McpCallResult(is_error=False, text="started"))
    result = await _executor(call).run(REQUEST)
    assert (result.outcome, result.summary, result.body) == (
        "succeeded",
        "ops.failover succeeded",
        "started",
    )
    (made,) = call.calls
    assert made == {"tool": "failover", "arguments": REQUEST.params, "timeout": 20.0}


async def test_the_tools_own_timeout_is_used() -> None:
    call = FakeCall(McpCallResult(is_error=False, text="ok"))
    await _executor(call, replace(CONFIG, timeout=timedelta(seconds=3))).run(REQUEST)
    assert call.calls[0]["timeout"] == 3.0


async def test_an_idempotent_tool_is_retried_after_a_transient_failure() -> None:
    call = FakeCall(
        McpCallError("no answer within 20s", sent=True),
        McpCallResult(is_error=False, text="started"),
    )
    result = await _executor(call, replace(CONFIG, idempotent=True)).run(REQUEST)
    assert result.outcome == "succeeded" and len(call.calls) == 2


async def test_a_tool_the_server_no_longer_offers_fails_without_a_call() -> None:
    call = FakeCall(McpCallResult(is_error=False, text="started"))
    executor = McpExecutor("ops_failover", configs={}, call=call, sleep=_no_sleep)
    result = await executor.run(REQUEST)
    assert result.outcome == "failed" and "no longer offers" in result.summary
    assert call.calls == []


async def test_the_rate_limit_refuses_politely_until_a_minute_has_passed() -> None:
    now = [0.0]
    call = FakeCall(McpCallResult(is_error=False, text="ok"))
    limited = RateLimitedExecutor(_executor(call), 2, "ops_failover", clock=lambda: now[0])
    assert (await limited.run(REQUEST)).outcome == "succeeded"
    now[0] = 30.0
    assert (await limited.run(REQUEST)).outcome == "succeeded"
    refused = await limited.run(REQUEST)
    assert refused.outcome == "failed" and len(call.calls) == 2
    assert "at most 2 time(s) a minute" in refused.summary and "about 30s" in refused.summary
    now[0] = 60.0
    assert (await limited.run(REQUEST)).outcome == "succeeded" and len(call.calls) == 3


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


def test_the_canonical_target_names_server_command_tool_and_schema() -> None:
    action = ActionSpec("ops_failover", "deploy", "d", "dangerous", ExecutorInfo("mcp", "mcp:ops"))
    target = ConfigTargets({"ops_failover": CONFIG}).resolve(action, REQUEST.params)
    assert target == {
        "server": "ops",
        "argv": list(SERVER),
        "env": ["SANDBOX_MCP_CALL_LOG"],
        "tool": "failover",
        "schema": "abc",
    }


def test_an_http_servers_canonical_target_names_its_headers_never_their_values() -> None:
    action = ActionSpec("ops_failover", "deploy", "d", "dangerous", ExecutorInfo("mcp", "mcp:ops"))
    endpoint = McpEndpoint(
        "ops", url="http://127.0.0.1:1/mcp", headers=(("Authorization", "Bearer ${OPS_TOKEN}"),)
    )
    config = replace(CONFIG, endpoint=endpoint)
    target = ConfigTargets({"ops_failover": config}).resolve(action, REQUEST.params)
    assert target == {
        "server": "ops",
        "url": "http://127.0.0.1:1/mcp",
        "headers": ["Authorization"],
        "tool": "failover",
        "schema": "abc",
    }


async def test_the_sdk_lists_and_calls_the_sandbox_server(tmp_path: Path) -> None:
    log = tmp_path / "calls.jsonl"
    env = {"SANDBOX_MCP_CALL_LOG": str(log)}
    tools = {tool.name: tool for tool in await list_tools(ENDPOINT, env, timeout=20)}
    assert set(tools) == {
        "cluster_health",
        "failover",
        "slow_report",
        "flaky_check",
        "crash",
        "deploy",
    }
    assert tools["cluster_health"].read_only and not tools["cluster_health"].destructive
    assert tools["failover"].destructive
    assert tools["failover"].input_schema["required"] == ["cluster", "region"]
    ok = await call_tool(
        ENDPOINT, env, tool="cluster_health", arguments={"cluster": "db1"}, timeout=20
    )
    assert ok == McpCallResult(False, "cluster db1: 3/3 nodes healthy, replication lag 0s")
    refused = await call_tool(
        ENDPOINT, env, tool="failover", arguments={"cluster": "db1", "region": "mars"}, timeout=20
    )
    assert refused.is_error
    assert [json.loads(line)["tool"] for line in log.read_text().splitlines()] == ["cluster_health"]


async def test_a_missing_command_is_a_server_error_naming_the_server() -> None:
    missing = McpEndpoint("ops", argv=("/nonexistent/ops-mcp",))
    with pytest.raises(McpServerError, match="'ops': could not be started") as caught:
        await list_tools(missing, {}, timeout=5)
    assert "FileNotFoundError" in caught.value.reason


async def test_a_server_that_does_not_answer_times_out() -> None:
    silent = McpEndpoint("ops", argv=(sys.executable, "-c", "import time; time.sleep(30)"))
    with pytest.raises(McpServerError, match=r"did not list its tools within 0\.5s"):
        await list_tools(silent, {}, timeout=0.5)
    with pytest.raises(McpCallError) as caught:
        await call_tool(silent, {}, tool="failover", arguments={}, timeout=0.5)
    assert not caught.value.sent


async def test_a_call_sent_and_not_answered_in_time_may_have_happened(tmp_path: Path) -> None:
    log = tmp_path / "calls.jsonl"
    env = {"SANDBOX_MCP_CALL_LOG": str(log)}
    with pytest.raises(McpCallError, match="no answer within 4s") as caught:
        await call_tool(ENDPOINT, env, tool="slow_report", arguments={"seconds": 30}, timeout=4)
    assert caught.value.sent
    assert "slow_report" in log.read_text()
