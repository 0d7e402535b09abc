"""The shell executor: no shell, allowlisted programs, literal arguments, a clean environment,
and a timeout that kills the whole process group."""

from __future__ import annotations

import asyncio
import os
import secrets
from pathlib import Path
from typing import Any

import pytest

from agents.actions.execution import ExecutionRequest
from agents.actions.spec import ParamValue
from bot.config_file import ConfigFileError, ShellExecutorConfig, parse_config
from bot.integrations.executors import ShellExecutor

from .conftest import RecordingSleep


def request(**params: ParamValue) -> ExecutionRequest:
    return ExecutionRequest("restart", params, "key-1", "trace-1", "U0ALICE")


def shell(argv: list[str], *, environ: dict[str, str] | None = None, **extra: Any) -> ShellExecutor:
    config = ShellExecutorConfig.model_validate(
        {"argv": argv, "executable_allowlist": [argv[0]], "timeout": "5s", **extra}
    )
    return ShellExecutor(config, action="restart", environ=environ or {}, sleep=RecordingSleep())


async def test_hostile_value_stays_one_literal_argument(tmp_path: Path) -> None:
    """'; rm -rf / $(touch FILE)' is printed by echo as is, and FILE is never created."""
    marker = tmp_path / f"pwned-{secrets.token_hex(8)}"
    hostile = f"; rm -rf / $(touch {marker})"
    result = await shell(["/bin/echo", "{service}"]).run(request(service=hostile))
    assert result.outcome == "succeeded"
    assert result.summary == f"echo exited 0 (attempt 1): {hostile}"
    assert not marker.exists()


def test_executable_outside_the_allowlist_is_refused_at_load() -> None:
    """argv[0] must be one of executable_allowlist: a config error with its line."""
    text = (
        "version: 1\n"
        "actions:\n"
        "  - name: wipe\n"
        "    agent: deploy\n"
        "    description: Wipe\n"
        "    risk: read\n"
        "    executor:\n"
        "      shell:\n"
        "        argv: [/bin/rm, -rf, /]\n"
        "        executable_allowlist: [/bin/echo]\n"
    )
    with pytest.raises(ConfigFileError) as caught:
        parse_config(text, source="ops.yaml")
    (issue,) = caught.value.issues
    assert (issue.line, issue.field_path) == (9, "actions[0].executor.shell.argv[0]")
    assert "not in executable_allowlist" in issue.message


async def test_timeout_kills_the_child_and_its_children(tmp_path: Path) -> None:
    """Past the timeout the whole process group is killed and the outcome is unknown."""
    pid_file = tmp_path / "grandchild.pid"
    script = 'sleep 30 & echo $! > "$1"; wait'
    executor = shell(["/bin/sh", "-c", script, "sh", "{pid_file}"], timeout="0.3s")
    result = await executor.run(request(pid_file=str(pid_file)))
    assert result.outcome == "unknown"
    assert "timed out after 0.3s and was killed (attempt 1)" in result.summary
    grandchild = int(pid_file.read_text())
    assert await _dies_within(grandchild, seconds=2)


async def _dies_within(pid: int, *, seconds: float) -> bool:
    """Polls briefly: a killed process closes its files a moment before it turns zombie."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while _alive(pid):
        if loop.time() > deadline:
            return False
        await asyncio.sleep(0.01)
    return True


def _alive(pid: int) -> bool:
    """Running (a zombie awaiting its reaper counts as dead)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in {"Z", "X"}


async def test_only_allowlisted_environment_reaches_the_child() -> None:
    """/usr/bin/env sees the allowlisted variable and nothing else of the environment."""
    environ = {"ALLOWED": "yes", "DEPLOY_TOKEN": "not-for-children", "PATH": os.environ["PATH"]}
    executor = shell(["/usr/bin/env"], environ=environ, env_allowlist=["ALLOWED", "MISSING"])
    result = await executor.run(request())
    assert result.summary == "env exited 0 (attempt 1): ALLOWED=yes"


async def test_failure_reports_the_last_stderr_line_redacted() -> None:
    """A non-zero exit is failed, quoting stderr's last line with secrets masked."""
    script = "echo starting; echo 'oops' >&2; echo 'login failed: password=hunter2' >&2; exit 3"
    result = await shell(["/bin/sh", "-c", script]).run(request())
    assert result.outcome == "failed"
    assert result.summary == "sh exited 3 (attempt 1): login failed: [redacted]"


async def test_output_is_capped_and_the_last_line_kept() -> None:
    """Output beyond the cap is dropped from the front; the last line survives."""
    script = "i=0; while [ $i -lt 3000 ]; do echo line-$i; i=$((i+1)); done"
    config = ShellExecutorConfig.model_validate(
        {"argv": ["/bin/sh", "-c", script], "executable_allowlist": ["/bin/sh"]}
    )
    executor = ShellExecutor(config, action="noisy", environ={}, output_limit=1024)
    result = await executor.run(request())
    assert result.summary.endswith(": line-2999")
    assert result.body is not None and result.body.endswith("line-2999\n")
    assert len(result.body) <= 1024 and result.body_truncated


async def test_a_success_keeps_its_standard_output_without_our_secrets() -> None:
    """Exit 0 keeps stdout (not stderr) as the body for the result's presentation, the
    allowlisted secret's value replaced; a short output is not marked cut."""
    environ = {"DEPLOY_TOKEN": "tok-4f9a8b7c6d5e"}
    script = 'echo "{\\"state\\": \\"ok\\", \\"t\\": \\"$DEPLOY_TOKEN\\"}"; echo noise >&2'
    executor = shell(["/bin/sh", "-c", script], environ=environ, env_allowlist=["DEPLOY_TOKEN"])
    result = await executor.run(request())
    assert result.outcome == "succeeded" and not result.body_truncated
    assert result.body == '{"state": "ok", "t": "[redacted]"}\n'
