"""``switchboard demo``: the sandbox, the bot and SQLite in one process; chat from a terminal.

You are ``alice`` in ``#general``. A line starts (or continues) a thread with the bot; a line
starting with ``/ops`` runs the slash command; ``/new`` starts a new thread; ``/quit`` ends.
With ``--script FILE`` the lines of FILE are played and the transcript printed.
"""

from __future__ import annotations

import asyncio
import secrets
import sys
from collections.abc import AsyncIterator, Callable, Iterable
from pathlib import Path
from typing import TextIO

from pydantic import SecretStr

from bot.config import DEFAULT_DATABASE_URL, Settings
from bot.runtime import Runtime, RuntimeOptions
from bot.sandbox import ApiCall, SlackSandbox
from bot.serve import HttpServer
from bot.server import SLACK_EVENTS_PATH

__all__ = ["DEMO_DATABASE_URL", "DemoSession", "run_demo"]

DEMO_DATABASE_URL = "sqlite+aiosqlite:///var/demo.db"
_REPLY_TIMEOUT = 15.0
_HELLO = (
    "Switchboard demo: you are alice in #general, talking to @switchboard.\n"
    "Type a message (the first starts a thread), '/ops help', '/new' for a new thread, "
    "'/quit' to leave.\n"
)


class DemoSession:
    """A person chatting with the bot through the sandbox."""

    def __init__(self, sandbox: SlackSandbox, *, user: str, channel: str) -> None:
        self._sandbox = sandbox
        self._user = user
        self._channel = channel
        self._thread_ts: str | None = None
        self._seen: dict[str, int] = {}

    def new_thread(self) -> None:
        """The next message starts a new thread."""
        self._thread_ts = None

    async def say(self, line: str) -> str:
        """Send one line as the user and return the bot's answer as text."""
        if line.startswith("/ops"):
            return await self._command(line.removeprefix("/ops").strip())
        sandbox = self._sandbox
        if self._thread_ts is None:
            sent = await sandbox.user_says(
                f"<@{sandbox.bot_user_id}> {line}", user=self._user, channel=self._channel
            )
            self._thread_ts = sent.ts
        else:
            await sandbox.user_says(
                line, user=self._user, channel=self._channel, thread_ts=self._thread_ts
            )
        thread = self._thread_ts
        return await self._next_reply(
            "chat.postMessage", key=thread, where=lambda c: c.args.get("thread_ts") == thread
        )

    async def _command(self, text: str) -> str:
        delivery = await self._sandbox.send_command(
            "/ops", text, user=self._user, channel=self._channel
        )
        if not delivery.acked:
            return f"(the bot did not acknowledge the command: HTTP {delivery.status})"
        return await self._next_reply("response_url", key="/ops", where=None)

    async def _next_reply(
        self, method: str, *, key: str, where: Callable[[ApiCall], bool] | None
    ) -> str:
        count = self._seen.get(key, 0) + 1
        try:
            call = await self._sandbox.wait_for(
                method,
                where=where,
                count=count,
                timeout=_REPLY_TIMEOUT,
            )
        except TimeoutError:
            return "(no reply within 15 s: see the log lines above)"
        self._seen[key] = count
        return _as_text(call)


def _as_text(call: ApiCall) -> str:
    text = call.args.get("text")
    return str(text) if text else "(a reply with blocks only)"


async def _lines(script: Path | None, stream: TextIO) -> AsyncIterator[str]:
    if script is not None:
        text = await asyncio.to_thread(script.read_text, encoding="utf-8")
        for line in text.splitlines():
            if line.strip() and not line.lstrip().startswith("#"):
                yield line.strip()
        return
    loop = asyncio.get_running_loop()
    while True:
        print("you> ", end="", flush=True)
        line = await loop.run_in_executor(None, stream.readline)
        if not line:
            return
        if line.strip():
            yield line.strip()


def _demo_settings(settings: Settings, sandbox: SlackSandbox) -> Settings:
    database_url = settings.database_url
    if database_url == DEFAULT_DATABASE_URL:
        database_url = DEMO_DATABASE_URL
    return settings.model_copy(
        update={
            "slack_bot_token": SecretStr(sandbox.bot_token),
            "slack_signing_secret": SecretStr(sandbox.signing_secret),
            "slack_app_token": None,
            "slack_api_url": sandbox.api_url,
            "database_url": database_url,
        }
    )


async def run_demo(settings: Settings, *, script: Path | None, out: TextIO | None = None) -> int:
    """Run the demo; returns the process exit code."""
    out = out or sys.stdout
    async with SlackSandbox(signing_secret=secrets.token_hex(16)) as sandbox:
        runtime = await Runtime.create(_demo_settings(settings, sandbox), RuntimeOptions())
        server = HttpServer(runtime, host="127.0.0.1", port=0)
        await server.start()
        sandbox.request_url = f"http://127.0.0.1:{server.port}{SLACK_EVENTS_PATH}"
        try:
            session = DemoSession(sandbox, user="U0ALICE", channel="C0GENERAL")
            if script is None:
                print(_HELLO, file=out, flush=True)
            async for line in _lines(script, sys.stdin):
                if line == "/quit":
                    break
                if line == "/new":
                    session.new_thread()
                    continue
                if script is not None:
                    print(f"you> {line}", file=out)
                answer = await session.say(line)
                print(_indent(answer), file=out, flush=True)
        finally:
            await server.close()
    return 0


def _indent(answer: str) -> str:
    lines: Iterable[str] = answer.splitlines() or [""]
    return "\n".join(
        ("switchboard> " if i == 0 else "             ") + line for i, line in enumerate(lines)
    )
