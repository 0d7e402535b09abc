"""The python executor: await ``module:function(request)`` with a timeout.

The entrypoint is imported when executors are built, so a missing module or a function that
is not ``async`` stops start-up (and ``config check`` in CI) rather than the first approval.
An exception becomes a ``failed`` result naming only its type: messages may hold secrets.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
from collections.abc import Awaitable, Callable
from dataclasses import KW_ONLY, dataclass
from typing import cast

import structlog

from agents.actions.execution import ExecutionRequest, ExecutionResult
from agents.kernel.errors import ConfigError
from bot.config_file import PythonExecutorConfig
from bot.integrations.executors.attempts import ExecutorAttempt, interrupted, run_attempts
from bot.integrations.resilience import Attempt, Sleep

__all__ = ["ActionFunction", "PythonExecutor", "load_entrypoint"]

log = structlog.get_logger(__name__)

ActionFunction = Callable[[ExecutionRequest], Awaitable[ExecutionResult]]


def load_entrypoint(entrypoint: str) -> ActionFunction:
    """Import ``package.module:function`` and check that it is an async function.

    Raises:
        ConfigError: naming the entrypoint, if it cannot be imported or is not async.
    """
    module_name, _, attribute = entrypoint.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        raise ConfigError(entrypoint, f"cannot import module {module_name!r}") from None
    except Exception as exc:  # importing runs arbitrary code; report, do not crash
        raise ConfigError(
            entrypoint, f"importing {module_name!r} raised {type(exc).__name__}"
        ) from None
    function = getattr(module, attribute, None)
    if function is None:
        raise ConfigError(entrypoint, f"module {module_name!r} has no attribute {attribute!r}")
    if not inspect.iscoroutinefunction(function):
        raise ConfigError(entrypoint, "must be an async function (async def)")
    return cast(ActionFunction, function)


@dataclass(frozen=True, slots=True)
class PythonExecutor:
    """Runs one action by awaiting a Python function (see the module docstring)."""

    function: ActionFunction
    config: PythonExecutorConfig
    _: KW_ONLY
    action: str
    sleep: Sleep = asyncio.sleep

    @property
    def _name(self) -> str:
        return self.config.entrypoint

    async def run(self, request: ExecutionRequest) -> ExecutionResult:
        """Await the function (again only if idempotent, after a timeout or connection error)."""
        return await run_attempts(
            lambda number: self._attempt(number, request),
            action=self.action,
            target=self._name,
            safe_to_retry=self.config.idempotent,
            sleep=self.sleep,
        )

    async def _attempt(self, number: int, request: ExecutionRequest) -> ExecutorAttempt:
        timeout = self.config.timeout.total_seconds()
        deadline = asyncio.timeout(timeout)
        try:
            async with deadline:
                result = await self.function(request)
        except TimeoutError as exc:
            if not deadline.expired():
                return self._raised(number, exc)
            log.warning("python_action_timed_out", action=self.action, entrypoint=self._name)
            what = f"{self._name} timed out after {timeout:g}s"
            return interrupted(what, number, idempotent=self.config.idempotent, partly=True)
        except Exception as exc:  # the function is not ours: translate, never propagate
            return self._raised(number, exc)
        if not isinstance(result, ExecutionResult):
            summary = f"{self._name} returned {type(result).__name__}, not an ExecutionResult"
            return Attempt(ExecutionResult("failed", summary))
        return Attempt(result)

    def _raised(self, number: int, exc: Exception) -> ExecutorAttempt:
        kind = type(exc).__name__
        log.warning("python_action_raised", action=self.action, entrypoint=self._name, error=kind)
        summary = f"{self._name} raised {kind} (attempt {number})"
        return Attempt(
            ExecutionResult("failed", summary),
            transient=isinstance(exc, ConnectionError | TimeoutError),
        )
