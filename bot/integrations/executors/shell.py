"""The shell executor: run an allowlisted program directly, never through a shell.

Each argv template element becomes exactly one argument, whatever the parameter values hold
(``; rm -rf /`` stays a literal argument). The child gets only the allowlisted environment
variables, its own session (so a timeout kills it and everything it started), a capped share
of our memory for its output, and a timeout. The summary quotes the last line of its output,
truncated and with anything that looks like a secret masked. A run that exits 0 keeps its
standard output (the last :data:`OUTPUT_LIMIT` bytes, the allowlisted secret values replaced)
for the result's presentation.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
from collections.abc import Mapping

import structlog

from agents.actions.execution import BODY_LIMIT, ExecutionRequest, ExecutionResult
from bot.config_file import ShellExecutorConfig
from bot.integrations.executors.attempts import ExecutorAttempt, interrupted, run_attempts
from bot.integrations.executors.render import render_argv
from bot.integrations.resilience import Attempt, Sleep

__all__ = ["OUTPUT_LIMIT", "ShellExecutor", "redact"]

log = structlog.get_logger(__name__)

OUTPUT_LIMIT = BODY_LIMIT
_LINE_LIMIT = 200
_REAP_SECONDS = 2.0
_SECRET_NAME = re.compile(r"token|secret|password|passwd|credential|api_?key|private", re.I)
_SECRET_SHAPES = re.compile(
    r"xox[abposre]-[A-Za-z0-9-]+|xapp-[A-Za-z0-9-]+|(?i:bearer|basic)\s+\S+"
    r"|(?i:token|secret|password|passwd|api_?key)\s*[=:]\s*\S+"
    r"|[A-Za-z0-9+_-]{32,}={0,2}"  # no "/": long file paths are not secrets
)


def redact(text: str, *, secrets: tuple[str, ...] = ()) -> str:
    """Mask known token shapes, ``key=value`` credentials, long opaque strings and the given
    secret values."""
    for secret in secrets:
        text = text.replace(secret, "[redacted]")
    return _SECRET_SHAPES.sub("[redacted]", text)


class ShellExecutor:
    """Runs one action as a child process (see the module docstring)."""

    def __init__(
        self,
        config: ShellExecutorConfig,
        *,
        action: str,
        environ: Mapping[str, str],
        sleep: Sleep = asyncio.sleep,
        output_limit: int = OUTPUT_LIMIT,
    ) -> None:
        self._config = config
        self._action = action
        self._env = {name: environ[name] for name in config.env_allowlist if name in environ}
        self._secrets = tuple(
            value for name, value in self._env.items() if _SECRET_NAME.search(name) and value
        )
        self._sleep = sleep
        self._limit = output_limit
        self._timeout = config.timeout.total_seconds()
        self._program = os.path.basename(config.argv[0])

    async def run(self, request: ExecutionRequest) -> ExecutionResult:
        """Run the program (again only if idempotent, after a transient failure)."""
        argv = render_argv(self._config.argv, request.params)
        executable = argv[0]
        if not os.path.isabs(executable) or executable not in self._config.executable_allowlist:
            log.error("shell_executable_refused", action=self._action, executable=executable)
            return ExecutionResult("failed", f"{executable!r} is not an allowlisted executable")
        return await run_attempts(
            lambda number: self._attempt(number, argv),
            action=self._action,
            target=executable,
            safe_to_retry=self._config.idempotent,
            sleep=self._sleep,
        )

    async def _attempt(self, number: int, argv: list[str]) -> ExecutorAttempt:
        try:
            process = await asyncio.create_subprocess_exec(
                *argv,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                cwd=self._config.cwd,
                env=self._env,
                start_new_session=True,
            )
        except OSError as exc:
            log.error("shell_spawn_failed", action=self._action, error=type(exc).__name__)
            summary = f"could not start {self._program} ({type(exc).__name__})"
            transient = not isinstance(exc, FileNotFoundError | PermissionError)
            return Attempt(ExecutionResult("failed", summary), transient=transient)
        assert process.stdout is not None and process.stderr is not None
        try:
            async with asyncio.timeout(self._timeout):
                (stdout, cut), (stderr, _) = await asyncio.gather(
                    self._tail(process.stdout), self._tail(process.stderr)
                )
                code = await process.wait()
        except TimeoutError:
            await self._kill(process)
            return self._timed_out(number)
        except BaseException:
            await self._kill(process)
            raise
        log.info("shell_exited", action=self._action, program=self._program, exit_code=code)
        if code == 0:
            line = self._last_line(stdout)
            summary = f"{self._program} exited 0 (attempt {number})" + (f": {line}" if line else "")
            body = stdout.decode("utf-8", errors="replace")
            for secret in self._secrets:
                body = body.replace(secret, "[redacted]")
            return Attempt(ExecutionResult("succeeded", summary, body=body, body_truncated=cut))
        line = self._last_line(stderr) or self._last_line(stdout)
        summary = f"{self._program} exited {code} (attempt {number})" + (
            f": {line}" if line else ""
        )
        return Attempt(ExecutionResult("failed", summary))

    def _timed_out(self, number: int) -> ExecutorAttempt:
        log.warning("shell_timed_out", action=self._action, program=self._program)
        what = f"{self._program} timed out after {self._timeout:g}s and was killed"
        return interrupted(what, number, idempotent=self._config.idempotent, partly=True)

    async def _tail(self, stream: asyncio.StreamReader) -> tuple[bytes, bool]:
        """Read to the end, keeping only the last ``output_limit`` bytes (and whether more
        came before them)."""
        kept = b""
        cut = False
        while chunk := await stream.read(64 * 1024):
            kept = kept + chunk
            cut = cut or len(kept) > self._limit
            kept = kept[-self._limit :]
        return kept, cut

    def _last_line(self, output: bytes) -> str:
        lines = output.decode("utf-8", errors="replace").strip().splitlines()
        line = redact(lines[-1].strip(), secrets=self._secrets) if lines else ""
        return line if len(line) <= _LINE_LIMIT else line[: _LINE_LIMIT - 1] + "…"

    async def _kill(self, process: asyncio.subprocess.Process) -> None:
        """Kill the child's whole process group and reap it, draining its pipes."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        try:
            async with asyncio.timeout(_REAP_SECONDS):
                await process.communicate()
        except TimeoutError:
            # a descendant that left the process group still holds the pipes open; stop
            # reading (asyncio offers no public way to close a Process's transport)
            log.warning("shell_reap_timed_out", action=self._action, program=self._program)
            transport = getattr(process, "_transport", None)
            if transport is not None:
                transport.close()
