"""The mcp executor: call one tool of an MCP server, over the server's long-lived session.

The tool's settings are read at each run from the live executor configs (a server's tools are
listed again when it says they changed), so a run uses the tool's timeout, idempotency and
numbers as last listed; a tool the server no longer offers is ``failed`` without a call.

A tool is retried only when configured ``idempotent: true`` (up to
:data:`~bot.integrations.resilience.MAX_ATTEMPTS`, on a transient failure). Otherwise a call cut
off after its request may have reached the server (a timeout, a dropped connection) is
``unknown`` (:func:`.attempts.interrupted`) and never retried; one that failed before (the
server could not be reached) is ``failed``. A result the tool flags with ``isError`` is
``failed``. The tool's text content is the run's body (capped at
:data:`~agents.actions.execution.BODY_LIMIT`; presented as its ``result:`` block says, and
redacted like any other output).

:class:`RateLimitedExecutor` refuses a tool's calls beyond its ``rate_limit`` per minute
politely, before its breaker (a refusal says nothing of the server's health).
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import KW_ONLY, dataclass, field

import structlog

from agents.actions.execution import BODY_LIMIT, ExecutionRequest, ExecutionResult, Executor
from bot.config_file import ExecutorConfig, McpExecutorConfig
from bot.integrations.executors.attempts import ExecutorAttempt, interrupted, run_attempts
from bot.integrations.mcp.client import McpCallError, McpCallResult
from bot.integrations.mcp.tools import coerce_arguments
from bot.integrations.resilience import MAX_ATTEMPTS, Attempt, Sleep

__all__ = ["CallTool", "McpExecutor", "RateLimitedExecutor"]

log = structlog.get_logger(__name__)

CallTool = Callable[..., Awaitable[McpCallResult]]
"""``call(tool, arguments, *, timeout)``, as an MCP server connection's ``call``."""

_MINUTE = 60.0


@dataclass(frozen=True, slots=True)
class McpExecutor:
    """Runs one action by calling one MCP tool (see the module docstring)."""

    action: str
    _: KW_ONLY
    configs: Mapping[str, ExecutorConfig]
    """The live executor configs (relisting a server's tools updates them)."""
    call: CallTool
    sleep: Sleep = asyncio.sleep

    async def run(self, request: ExecutionRequest) -> ExecutionResult:
        """Call the tool (again only if it is idempotent and the failure was transient)."""
        config = self.configs.get(self.action)
        if not isinstance(config, McpExecutorConfig):
            return ExecutionResult("failed", f"{self.action}: the server no longer offers it")
        return await run_attempts(
            lambda number: self._attempt(number, config, request),
            action=self.action,
            target=f"mcp:{config.server}",
            safe_to_retry=config.idempotent,
            sleep=self.sleep,
            attempts=MAX_ATTEMPTS if config.idempotent else 1,
        )

    async def _attempt(
        self, number: int, config: McpExecutorConfig, request: ExecutionRequest
    ) -> ExecutorAttempt:
        name = f"{config.server}.{config.tool}"
        try:
            result = await self.call(
                config.tool,
                coerce_arguments(request.params, config.numbers),
                timeout=config.timeout.total_seconds(),
            )
        except McpCallError as exc:
            log.warning("mcp_call_failed", action=self.action, tool=name, sent=exc.sent)
            what = f"{name}: {exc.reason}"
            if exc.sent:
                return interrupted(what, number, idempotent=config.idempotent)
            return Attempt(ExecutionResult("failed", f"{what} (attempt {number})"), transient=True)
        body = result.text.encode("utf-8")
        cut = len(body) > BODY_LIMIT
        text = body[:BODY_LIMIT].decode("utf-8", errors="ignore") if cut else result.text
        if result.is_error:
            summary = f"{name} reported an error"
            return Attempt(ExecutionResult("failed", summary, body=text, body_truncated=cut))
        summary = f"{name} succeeded"
        return Attempt(ExecutionResult("succeeded", summary, body=text, body_truncated=cut))


@dataclass(slots=True)
class RateLimitedExecutor:
    """At most ``per_minute`` runs of one action in any sliding minute; beyond, a polite
    ``failed`` without running (and without a vote on the target's breaker)."""

    inner: Executor
    per_minute: int
    action: str
    clock: Callable[[], float] = time.monotonic
    _started: deque[float] = field(default_factory=deque)

    async def run(self, request: ExecutionRequest) -> ExecutionResult:
        """Run, unless the last minute already had ``per_minute`` runs."""
        now = self.clock()
        while self._started and now - self._started[0] >= _MINUTE:
            self._started.popleft()
        if len(self._started) >= self.per_minute:
            wait = max(1, round(_MINUTE - (now - self._started[0])))
            log.warning("execution_refused_rate_limit", action=self.action, limit=self.per_minute)
            return ExecutionResult(
                "failed",
                f"{self.action} may run at most {self.per_minute} time(s) a minute; "
                f"it was not run. Please try again in about {wait}s.",
            )
        self._started.append(now)
        return await self.inner.run(request)
