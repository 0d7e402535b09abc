"""Executors: how an approved action reaches the world (http, shell, python, mcp).

Each implements the domain's :class:`~agents.actions.execution.Executor`: it never raises for an
operational failure, returning a ``failed`` or ``unknown`` result with a short, secret-free
summary. Each run's attempts go through :func:`.attempts.run_attempts` (the executor policy of
:mod:`bot.integrations.resilience`); each executor sits behind its target's circuit breaker
(:class:`.BreakerExecutor`). :func:`build_executors` wires them from the config;
:class:`.ConfigTargets` resolves each action's target for the canonical action an approval
consents to, with the same templates.
"""

from __future__ import annotations

from bot.integrations.executors.breaker import BreakerExecutor, breaker_states
from bot.integrations.executors.build import build_executors
from bot.integrations.executors.http import HttpExecutor
from bot.integrations.executors.mcp import McpExecutor
from bot.integrations.executors.python import PythonExecutor, load_entrypoint
from bot.integrations.executors.shell import ShellExecutor
from bot.integrations.executors.targets import ConfigTargets, UnknownExecutor

__all__ = [
    "BreakerExecutor",
    "ConfigTargets",
    "HttpExecutor",
    "McpExecutor",
    "PythonExecutor",
    "ShellExecutor",
    "UnknownExecutor",
    "breaker_states",
    "build_executors",
    "load_entrypoint",
]
