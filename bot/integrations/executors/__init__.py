"""Executors: how an approved action reaches the world (http, shell, python).

Each implements the domain's :class:`~agents.actions.execution.Executor`: it never raises for an
operational failure, returning a ``failed`` or ``unknown`` result with a short, secret-free
summary. Retries are the named policies of :mod:`.retry`; each executor sits behind its
target's :class:`~.breaker.CircuitBreaker`. :func:`build_executors` wires them from the config.
"""

from __future__ import annotations

from bot.integrations.executors.breaker import BreakerExecutor, BreakerState, CircuitBreaker
from bot.integrations.executors.build import build_executors
from bot.integrations.executors.http import HttpExecutor
from bot.integrations.executors.python import PythonExecutor, load_entrypoint
from bot.integrations.executors.shell import ShellExecutor

__all__ = [
    "BreakerExecutor",
    "BreakerState",
    "CircuitBreaker",
    "HttpExecutor",
    "PythonExecutor",
    "ShellExecutor",
    "build_executors",
    "load_entrypoint",
]
