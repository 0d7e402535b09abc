"""The app under test as a real OS process, for crash, restart and chaos scenarios.

The caller names the command (the sandbox imports nothing of the app); the process is pointed
at the sandbox through its environment, logs JSON lines on stderr, and reports the port it
listens on in an ``http_listening`` line, after which the sandbox delivers there.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
from collections.abc import Sequence
from typing import Any

from sandbox.server import SlackSandbox

__all__ = ["AppProcess"]

_OWN_ENV_PREFIXES = ("SLACK_", "SWITCHBOARD_", "DATABASE_URL")


class AppProcess:
    """``command`` (e.g. ``python -m bot run --port 0``) in a subprocess, with its JSON log
    lines parsed as they come.

    Args:
        sandbox: The Slack it talks to (and that delivers to it once it listens).
        database_url: Its ``DATABASE_URL``.
        command: The argv to run.
        events_path: The path of its Slack endpoint on the port it reports.
        env: More environment variables (on top of the Slack and database ones).
    """

    def __init__(
        self,
        sandbox: SlackSandbox,
        database_url: str,
        *,
        command: Sequence[str],
        events_path: str,
        env: dict[str, str] | None = None,
    ) -> None:
        self._sandbox = sandbox
        self._database_url = database_url
        self._command = list(command)
        self._events_path = events_path
        self._extra_env = dict(env or {})
        self.url: str | None = None
        self._proc: asyncio.subprocess.Process | None = None
        self._reader: asyncio.Task[None] | None = None
        self.logs: list[dict[str, Any]] = []
        self._changed = asyncio.Condition()

    async def start(self) -> None:
        """Start the process and point the sandbox at the port it reports."""
        env = {
            key: value for key, value in os.environ.items() if not key.startswith(_OWN_ENV_PREFIXES)
        }
        env.update(
            SLACK_BOT_TOKEN=self._sandbox.bot_token,
            SLACK_SIGNING_SECRET=self._sandbox.signing_secret,
            SWITCHBOARD_SLACK_API_URL=self._sandbox.api_url,
            DATABASE_URL=self._database_url,
            SWITCHBOARD_LOG_FORMAT="json",
        )
        env.update(self._extra_env)
        self._proc = await asyncio.create_subprocess_exec(
            *self._command,
            env=env,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        self._reader = asyncio.create_task(self._read())
        listening = await self.wait_for_log("http_listening", timeout=30)
        self.url = f"http://127.0.0.1:{listening['port']}{self._events_path}"
        self._sandbox.driver.request_url = self.url

    async def _read(self) -> None:
        assert self._proc is not None and self._proc.stderr is not None
        async for raw in self._proc.stderr:
            line = raw.decode(errors="replace").strip()
            try:
                entry = json.loads(line)
            except ValueError:
                entry = {"event": "non_json_output", "line": line}
            async with self._changed:
                self.logs.append(entry)
                self._changed.notify_all()

    async def wait_for_log(self, event: str, *, timeout: float = 10) -> dict[str, Any]:
        """The first log line with this event name, awaited (never slept for)."""

        def found() -> dict[str, Any] | None:
            return next((e for e in self.logs if e.get("event") == event), None)

        async with asyncio.timeout(timeout), self._changed:
            await self._changed.wait_for(lambda: found() is not None or self._exited())
        entry = found()
        if entry is None:
            raise AssertionError(f"bot exited before logging {event!r}: {self.logs[-5:]!r}")
        return entry

    def _exited(self) -> bool:
        return self._proc is not None and self._proc.returncode is not None

    @property
    def running(self) -> bool:
        """Whether the process was started and has not exited."""
        return self._proc is not None and self._proc.returncode is None

    async def kill(self) -> None:
        """SIGKILL: no shutdown code runs, exactly like a crash."""
        assert self._proc is not None
        if self._proc.returncode is None:
            self._proc.send_signal(signal.SIGKILL)
        await self._proc.wait()
        await self._finish_reader()

    async def terminate(self) -> int:
        """SIGTERM, and the exit code after a graceful shutdown."""
        assert self._proc is not None
        if self._proc.returncode is None:
            self._proc.send_signal(signal.SIGTERM)
        code = await self._proc.wait()
        await self._finish_reader()
        return code

    async def _finish_reader(self) -> None:
        if self._reader is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
