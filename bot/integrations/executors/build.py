"""Build one executor per action from the loaded config, each behind its target's breaker
(an MCP server's breaker with the server's own thresholds; an MCP tool with a ``rate_limit``
behind its rate limit, in front of the breaker)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator, Mapping

import aiohttp

from agents.actions.execution import Executor
from agents.actions.spec import ActionSpec
from agents.kernel.errors import ConfigError
from bot.config_file import (
    ConfigFileError,
    ConfigIssue,
    ExecutorConfig,
    HttpExecutorConfig,
    LoadedConfig,
    McpExecutorConfig,
    PagerDutyExecutorConfig,
    PythonExecutorConfig,
    ShellExecutorConfig,
)
from bot.integrations.executors.breaker import BreakerExecutor
from bot.integrations.executors.http import HttpExecutor
from bot.integrations.executors.mcp import McpExecutor, RateLimitedExecutor
from bot.integrations.executors.pagerduty import PagerDutyExecutor
from bot.integrations.executors.python import PythonExecutor, load_entrypoint
from bot.integrations.executors.shell import ShellExecutor
from bot.integrations.mcp.connection import McpConnection
from bot.integrations.pagerduty import PagerDutyClient
from bot.integrations.resilience import CircuitBreaker, Sleep

__all__ = ["LiveExecutors", "build_executors", "guarded_mcp_executor"]


def build_executors(
    config: LoadedConfig,
    *,
    session: aiohttp.ClientSession,
    environ: Mapping[str, str],
    clock: Callable[[], float] = time.monotonic,
    sleep: Sleep = asyncio.sleep,
    failure_threshold: int = 5,
    cooldown: float = 30.0,
    mcp: Mapping[str, McpConnection] | None = None,
    breakers: dict[str, CircuitBreaker] | None = None,
    pagerduty: PagerDutyClient | None = None,
) -> dict[str, Executor]:
    """An executor per action name; actions on the same target share one circuit breaker.

    Args:
        session: shared by every http executor; the caller owns (and closes) it.
        environ: the variables ``${NAME}`` headers, shell ``env_allowlist`` and MCP servers'
            ``env`` may read.
        clock: monotonic seconds, for the breakers.
        sleep: the wait between retries (tests pass a fake).
        mcp: each MCP server's long-lived connection, by name (one is opened on first use
            for a server not given).
        breakers: filled with each target's breaker (shared with executors built later, for
            tools a server adds while running).
        pagerduty: the PagerDuty client the paging actions send through (default: one
            over ``session`` with no REST token, events only).

    Raises:
        ConfigFileError: listing every python entrypoint that cannot be imported or is not
            async.
    """
    breakers = {} if breakers is None else breakers

    connections = dict(mcp or {})
    executors: dict[str, Executor] = {}
    issues: list[ConfigIssue] = []
    for index, action in enumerate(config.actions):
        spec = config.executors[action.name]
        inner: Executor
        if isinstance(spec, McpExecutorConfig):
            executors[action.name] = guarded_mcp_executor(
                action.name,
                spec,
                configs=config.executors,
                connection=_connection(spec, connections, environ=environ, sleep=sleep),
                breakers=breakers,
                clock=clock,
                sleep=sleep,
            )
            continue
        if isinstance(spec, HttpExecutorConfig | ShellExecutorConfig | PagerDutyExecutorConfig):
            inner = _plain(
                spec, action, session=session, environ=environ, sleep=sleep, pagerduty=pagerduty
            )
        else:
            try:
                inner = _python(spec, action=action.name, sleep=sleep)
            except ConfigError as exc:
                path = f"actions[{index}].executor.python.entrypoint"
                issues.append(ConfigIssue(config.source, None, path, exc.message))
                continue
        breaker = breakers.get(action.executor.target) or _new_breaker(
            action.executor.target,
            breakers,
            threshold=failure_threshold,
            cooldown=cooldown,
            clock=clock,
        )
        executors[action.name] = BreakerExecutor(inner, breaker, action=action.name)
    if issues:
        raise ConfigFileError(config.source, issues)
    return executors


def _plain(
    spec: HttpExecutorConfig | ShellExecutorConfig | PagerDutyExecutorConfig,
    action: ActionSpec,
    *,
    session: aiohttp.ClientSession,
    environ: Mapping[str, str],
    sleep: Sleep,
    pagerduty: PagerDutyClient | None,
) -> Executor:
    """The executor of an http, shell or PagerDuty action (before its breaker)."""
    if isinstance(spec, HttpExecutorConfig):
        return HttpExecutor(
            spec,
            action=action.name,
            target=action.executor.target,
            session=session,
            environ=environ,
            sleep=sleep,
        )
    if isinstance(spec, ShellExecutorConfig):
        return ShellExecutor(spec, action=action.name, environ=environ, sleep=sleep)
    client = pagerduty or _events_only(spec, session=session, sleep=sleep)
    return PagerDutyExecutor(spec, action=action.name, client=client, environ=environ)


def _new_breaker(
    target: str,
    breakers: dict[str, CircuitBreaker],
    *,
    threshold: int,
    cooldown: float,
    clock: Callable[[], float],
) -> CircuitBreaker:
    """A breaker for ``target``, kept in ``breakers`` for every other action on it."""
    breaker = CircuitBreaker(target, failure_threshold=threshold, cooldown=cooldown, clock=clock)
    breakers[target] = breaker
    return breaker


def _connection(
    spec: McpExecutorConfig,
    connections: dict[str, McpConnection],
    *,
    environ: Mapping[str, str],
    sleep: Sleep,
) -> McpConnection:
    """The server's one long-lived connection, opened on first use if none was given."""
    connection = connections.get(spec.server)
    if connection is None:
        connection = McpConnection(
            spec.endpoint, environ, timeout=spec.timeout.total_seconds(), sleep=sleep
        )
        connections[spec.server] = connection
    return connection


def _events_only(
    spec: PagerDutyExecutorConfig, *, session: aiohttp.ClientSession, sleep: Sleep
) -> PagerDutyClient:
    """A PagerDuty client for events alone (no REST token), when none was given."""
    return PagerDutyClient(
        session,
        api_url="",
        events_url=spec.events_url,
        token=None,
        timeout=spec.timeout.total_seconds(),
        sleep=sleep,
    )


def _python(spec: PythonExecutorConfig, *, action: str, sleep: Sleep) -> PythonExecutor:
    return PythonExecutor(load_entrypoint(spec.entrypoint), spec, action=action, sleep=sleep)


def guarded_mcp_executor(
    action: str,
    spec: McpExecutorConfig,
    *,
    configs: Mapping[str, ExecutorConfig],
    connection: McpConnection,
    breakers: dict[str, CircuitBreaker],
    clock: Callable[[], float] = time.monotonic,
    sleep: Sleep = asyncio.sleep,
) -> Executor:
    """An MCP tool's executor behind its server's breaker (created with the server's
    thresholds if it is the first) and, with a ``rate_limit``, behind that."""
    target = f"mcp:{spec.server}"
    breaker = breakers.get(target)
    if breaker is None:
        breaker = CircuitBreaker(
            target,
            failure_threshold=spec.breaker_failures,
            cooldown=spec.breaker_cooldown.total_seconds(),
            clock=clock,
        )
        breakers[target] = breaker
    inner = McpExecutor(action, configs=configs, call=connection.call, sleep=sleep)
    guarded: Executor = BreakerExecutor(inner, breaker, action=action)
    if spec.rate_limit is not None:
        guarded = RateLimitedExecutor(guarded, spec.rate_limit, action, clock=clock)
    return guarded


class LiveExecutors(Mapping[str, Executor]):
    """The executors built at start-up, and those of actions added while running (an MCP
    server's new tools), built by ``build`` when first asked for and kept."""

    def __init__(
        self, built: Mapping[str, Executor], build: Callable[[str], Executor | None]
    ) -> None:
        self._executors = dict(built)
        self._build = build

    def __getitem__(self, name: str) -> Executor:
        executor = self._executors.get(name)
        if executor is None:
            executor = self._build(name)
            if executor is None:
                raise KeyError(name)
            self._executors[name] = executor
        return executor

    def __iter__(self) -> Iterator[str]:
        return iter(dict(self._executors))

    def __len__(self) -> int:
        return len(self._executors)
