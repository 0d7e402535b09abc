"""Build one executor per action from the loaded config, each behind its target's breaker."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping

import aiohttp

from agents.actions.execution import Executor
from agents.kernel.errors import ConfigError
from bot.config_file import (
    ConfigFileError,
    ConfigIssue,
    HttpExecutorConfig,
    LoadedConfig,
    McpExecutorConfig,
    PagerDutyExecutorConfig,
    PythonExecutorConfig,
    ShellExecutorConfig,
)
from bot.integrations.executors.breaker import BreakerExecutor
from bot.integrations.executors.http import HttpExecutor
from bot.integrations.executors.mcp import McpExecutor
from bot.integrations.executors.pagerduty import PagerDutyExecutor
from bot.integrations.executors.python import PythonExecutor, load_entrypoint
from bot.integrations.executors.shell import ShellExecutor
from bot.integrations.pagerduty import PagerDutyClient
from bot.integrations.resilience import CircuitBreaker, Sleep

__all__ = ["build_executors"]


def build_executors(
    config: LoadedConfig,
    *,
    session: aiohttp.ClientSession,
    environ: Mapping[str, str],
    clock: Callable[[], float] = time.monotonic,
    sleep: Sleep = asyncio.sleep,
    failure_threshold: int = 5,
    cooldown: float = 30.0,
    pagerduty: PagerDutyClient | None = None,
) -> dict[str, Executor]:
    """An executor per action name; actions on the same target share one circuit breaker.

    Args:
        session: shared by every http executor; the caller owns (and closes) it.
        environ: the variables ``${NAME}`` headers, shell ``env_allowlist`` and MCP servers'
            ``env`` may read.
        clock: monotonic seconds, for the breakers.
        sleep: the wait between retries (tests pass a fake).
        pagerduty: the PagerDuty client the paging actions send through (default: one
            over ``session`` with no REST token, events only).

    Raises:
        ConfigFileError: listing every python entrypoint that cannot be imported or is not
            async.
    """
    breakers: dict[str, CircuitBreaker] = {}
    executors: dict[str, Executor] = {}
    issues: list[ConfigIssue] = []
    for index, action in enumerate(config.actions):
        spec = config.executors[action.name]
        inner: Executor
        if isinstance(spec, HttpExecutorConfig):
            inner = HttpExecutor(
                spec,
                action=action.name,
                target=action.executor.target,
                session=session,
                environ=environ,
                sleep=sleep,
            )
        elif isinstance(spec, ShellExecutorConfig):
            inner = ShellExecutor(spec, action=action.name, environ=environ, sleep=sleep)
        elif isinstance(spec, McpExecutorConfig):
            inner = McpExecutor(spec, action=action.name, environ=environ, sleep=sleep)
        elif isinstance(spec, PagerDutyExecutorConfig):
            client = pagerduty or PagerDutyClient(
                session,
                api_url="",
                events_url=spec.events_url,
                token=None,
                timeout=spec.timeout.total_seconds(),
                sleep=sleep,
            )
            inner = PagerDutyExecutor(spec, action=action.name, client=client, environ=environ)
        else:
            try:
                inner = _python(spec, action=action.name, sleep=sleep)
            except ConfigError as exc:
                path = f"actions[{index}].executor.python.entrypoint"
                issues.append(ConfigIssue(config.source, None, path, exc.message))
                continue
        target = action.executor.target
        breaker = breakers.get(target)
        if breaker is None:
            breaker = CircuitBreaker(
                target, failure_threshold=failure_threshold, cooldown=cooldown, clock=clock
            )
            breakers[target] = breaker
        executors[action.name] = BreakerExecutor(inner, breaker, action=action.name)
    if issues:
        raise ConfigFileError(config.source, issues)
    return executors


def _python(spec: PythonExecutorConfig, *, action: str, sleep: Sleep) -> PythonExecutor:
    return PythonExecutor(load_entrypoint(spec.entrypoint), spec, action=action, sleep=sleep)
