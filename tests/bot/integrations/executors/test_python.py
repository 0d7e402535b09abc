"""The python executor: awaits a function with a timeout; exceptions become results."""

from __future__ import annotations

import asyncio

import pytest
from structlog.testing import capture_logs

from agents.actions.execution import ExecutionRequest, ExecutionResult
from agents.kernel.errors import ConfigError
from bot.config_file import PythonExecutorConfig
from bot.integrations.executors import PythonExecutor, load_entrypoint
from bot.integrations.executors.python import ActionFunction

from .conftest import RecordingSleep

REQUEST = ExecutionRequest("restart", {"service": "api"}, "key-1", "trace-1", "U0ALICE")


def executor(
    function: ActionFunction, *, sleep: RecordingSleep | None = None, **extra: object
) -> PythonExecutor:
    config = PythonExecutorConfig.model_validate({"entrypoint": "ops.actions:restart", **extra})
    return PythonExecutor(function, config, action="restart", sleep=sleep or RecordingSleep())


async def test_success_returns_the_functions_result() -> None:
    """The function receives the request; its result is the run's result."""

    async def restart(request: ExecutionRequest) -> ExecutionResult:
        return ExecutionResult("succeeded", f"restarted {request.params['service']}")

    assert await executor(restart).run(REQUEST) == ExecutionResult("succeeded", "restarted api")


async def test_exception_is_failed_naming_only_its_type() -> None:
    """An exception's message may hold secrets: the summary and logs name its type only."""

    async def restart(request: ExecutionRequest) -> ExecutionResult:
        raise RuntimeError("login failed with password=hunter2")

    with capture_logs() as logs:
        result = await executor(restart).run(REQUEST)
    assert result == ExecutionResult(
        "failed", "ops.actions:restart raised RuntimeError (attempt 1)"
    )
    assert "hunter2" not in repr(logs)


async def test_timeout_is_unknown() -> None:
    """A function still running at the timeout is cancelled; it may have partly happened."""
    cancelled = asyncio.Event()

    async def restart(request: ExecutionRequest) -> ExecutionResult:
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return ExecutionResult("succeeded", "late")

    result = await executor(restart, timeout="100ms").run(REQUEST)
    assert result.outcome == "unknown"
    assert "timed out after 0.1s" in result.summary
    assert cancelled.is_set()


async def test_idempotent_function_is_retried_after_connection_errors() -> None:
    """Idempotent: a ConnectionError is transient, so it is tried again (up to 3 times)."""
    calls = 0

    async def restart(request: ExecutionRequest) -> ExecutionResult:
        nonlocal calls
        calls += 1
        if calls < 3:
            raise ConnectionError
        return ExecutionResult("succeeded", "ok")

    sleep = RecordingSleep()
    result = await executor(restart, sleep=sleep, idempotent=True).run(REQUEST)
    assert result.outcome == "succeeded" and calls == 3 and len(sleep.waits) == 2


async def test_non_idempotent_function_is_never_retried() -> None:
    """Not idempotent: one attempt, whatever went wrong."""
    calls = 0

    async def restart(request: ExecutionRequest) -> ExecutionResult:
        nonlocal calls
        calls += 1
        raise ConnectionError

    assert (await executor(restart).run(REQUEST)).outcome == "failed"
    assert calls == 1


async def test_wrong_return_type_is_failed() -> None:
    """Anything but an ExecutionResult is a failed run, not a crash."""

    async def restart(request: ExecutionRequest) -> ExecutionResult:
        return "done"  # type: ignore[return-value]

    result = await executor(restart).run(REQUEST)
    assert result.outcome == "failed" and "returned str" in result.summary


def test_entrypoint_must_import_and_be_async() -> None:
    """A missing module, a missing function or a plain function is a config error."""
    loaded: object = load_entrypoint("asyncio:sleep")
    assert loaded is asyncio.sleep
    for entrypoint, message in [
        ("no_such_module_xyz:run", "cannot import module 'no_such_module_xyz'"),
        ("json:nothing", "has no attribute 'nothing'"),
        ("json:dumps", "must be an async function"),
    ]:
        with pytest.raises(ConfigError, match=message):
            load_entrypoint(entrypoint)
