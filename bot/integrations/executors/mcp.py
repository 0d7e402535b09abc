"""The mcp executor: call one tool of an MCP stdio server, once, within the server's timeout.

An MCP tool is never treated as idempotent: a call cut off after its request may have reached
the server (a timeout, a dropped connection) is ``unknown`` (:func:`.attempts.interrupted`) and
never retried; one that failed before (the server did not start) is ``failed``. A result the
tool flags with ``isError`` is ``failed``. The tool's text content is the run's body (capped at
:data:`~agents.actions.execution.BODY_LIMIT`; presented and redacted like any other output).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping

import structlog

from agents.actions.execution import BODY_LIMIT, ExecutionRequest, ExecutionResult
from bot.config_file import McpExecutorConfig
from bot.integrations.executors.attempts import ExecutorAttempt, interrupted, run_attempts
from bot.integrations.mcp.client import McpCallError, McpCallResult, call_tool, server_environment
from bot.integrations.mcp.tools import coerce_arguments
from bot.integrations.resilience import Attempt, Sleep

__all__ = ["CallTool", "McpExecutor"]

log = structlog.get_logger(__name__)

CallTool = Callable[..., Awaitable[McpCallResult]]


class McpExecutor:
    """Runs one action by calling one MCP tool (see the module docstring)."""

    def __init__(
        self,
        config: McpExecutorConfig,
        *,
        action: str,
        environ: Mapping[str, str],
        sleep: Sleep = asyncio.sleep,
        call: CallTool = call_tool,
    ) -> None:
        self._config = config
        self._action = action
        self._env = server_environment(config.env_allowlist, environ)
        self._sleep = sleep
        self._call = call
        self._name = f"{config.server}.{config.tool}"

    async def run(self, request: ExecutionRequest) -> ExecutionResult:
        """Call the tool once (an MCP tool is not idempotent: no retry)."""
        return await run_attempts(
            lambda number: self._attempt(number, request),
            action=self._action,
            target=f"mcp:{self._config.server}",
            safe_to_retry=False,
            sleep=self._sleep,
            attempts=1,
        )

    async def _attempt(self, number: int, request: ExecutionRequest) -> ExecutorAttempt:
        timeout = self._config.timeout.total_seconds()
        try:
            result = await self._call(
                self._config.argv,
                self._env,
                tool=self._config.tool,
                arguments=coerce_arguments(request.params, self._config.numbers),
                timeout=timeout,
            )
        except McpCallError as exc:
            log.warning("mcp_call_failed", action=self._action, tool=self._name, sent=exc.sent)
            what = f"{self._name}: {exc.reason}"
            if exc.sent:
                return interrupted(what, number, idempotent=False)
            return Attempt(ExecutionResult("failed", f"{what} (attempt {number})"))
        body = result.text.encode("utf-8")
        cut = len(body) > BODY_LIMIT
        text = body[:BODY_LIMIT].decode("utf-8", errors="ignore") if cut else result.text
        if result.is_error:
            summary = f"{self._name} reported an error"
            return Attempt(ExecutionResult("failed", summary, body=text, body_truncated=cut))
        summary = f"{self._name} succeeded"
        return Attempt(ExecutionResult("succeeded", summary, body=text, body_truncated=cut))
