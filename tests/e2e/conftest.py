"""Fixtures that run the real bot against the sandbox: real Bolt, real SQLite, real runner."""

from __future__ import annotations

import secrets
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from agents.kernel.clock import Clock
from bot.config import Settings
from bot.config_file import LoadedConfig
from bot.runtime import Runtime, RuntimeOptions
from bot.serve import HttpServer
from bot.server import SLACK_EVENTS_PATH
from bot.socket_mode import SocketModeHandler
from bot.worker import WorkerOptions
from sandbox import SlackSandbox

SIGNING_SECRET = secrets.token_hex(16)


class MovableClock:
    """The system clock, plus an offset a test can push forward (to expire requests)."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def monotonic(self) -> float:
        return time.monotonic()


@dataclass
class Bot:
    """A running bot and what tests need to reach it."""

    runtime: Runtime
    url: str | None

    async def idle(self) -> None:
        """Wait until every turn started so far has finished (a barrier, not a sleep)."""
        assert await self.runtime.runner.drain(timeout=10) == 0


def settings_for(
    sandbox: SlackSandbox, database_url: str, extra: Mapping[str, str] | None = None
) -> Settings:
    """Settings pointing the bot at the sandbox, without reading the environment (``extra``:
    more variables, e.g. ``SWITCHBOARD_LINK_ALLOWLIST``)."""
    return Settings.model_validate(
        {
            "SLACK_BOT_TOKEN": sandbox.bot_token,
            "SLACK_SIGNING_SECRET": sandbox.signing_secret,
            "SLACK_APP_TOKEN": sandbox.app_token,
            "SWITCHBOARD_SLACK_API_URL": sandbox.api_url,
            "DATABASE_URL": database_url,
            **(extra or {}),
        }
    )


TEST_WORKER = WorkerOptions(
    lease=timedelta(seconds=30), poll_interval=0.05, expiry_interval=0.05, concurrency=2
)


@asynccontextmanager
async def running_bot(
    sandbox: SlackSandbox,
    database_url: str,
    *,
    socket_mode: bool = False,
    config: LoadedConfig | None = None,
    clock: Clock | None = None,
    environ: Mapping[str, str] | None = None,
    progress_after: float | None = None,
    live_status: bool = False,
    stream_answers: bool = False,
    tracer_provider: object | None = None,
    settings: Mapping[str, str] | None = None,
    worker: WorkerOptions = TEST_WORKER,
    **more: Any,
) -> AsyncIterator[Bot]:
    """Start the bot in HTTP or Socket Mode against the sandbox; stop it on exit.

    ``progress_after``, ``live_status`` and ``stream_answers`` are off by default so that
    scenarios see only the calls they expect; ``settings`` are more environment variables;
    ``more`` are other ``RuntimeOptions``.
    """
    options = RuntimeOptions(
        socket_mode=socket_mode,
        drain_timeout=5,
        worker=worker,
        config=config,
        clock=clock,
        environ=environ,
        progress_after=progress_after,
        live_status=live_status,
        stream_answers=stream_answers,
        tracer_provider=tracer_provider,
        **more,
    )
    runtime = await Runtime.create(settings_for(sandbox, database_url, settings), options)
    if socket_mode:
        handler = SocketModeHandler(runtime.app, sandbox.app_token)
        await handler.connect_async()
        await sandbox.socket.wait_connected()
        # As `switchboard run --socket`: health, metrics and (many workspaces) the OAuth
        # install endpoints over HTTP; Slack's requests over the socket.
        site = HttpServer(runtime, host="127.0.0.1", port=0, slack=False)
        await site.start()
        try:
            yield Bot(runtime, f"http://127.0.0.1:{site.port}")
        finally:
            await handler.close_async()
            await site.close()
        return
    server = HttpServer(runtime, host="127.0.0.1", port=0)
    await server.start()
    url = f"http://127.0.0.1:{server.port}"
    sandbox.driver.request_url = url + SLACK_EVENTS_PATH
    try:
        yield Bot(runtime, url)
    finally:
        await server.close()


@pytest.fixture
async def sandbox() -> AsyncIterator[SlackSandbox]:
    async with SlackSandbox(signing_secret=SIGNING_SECRET) as sb:
        yield sb


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'switchboard.db'}"


@pytest.fixture
async def bot(sandbox: SlackSandbox, database_url: str) -> AsyncIterator[Bot]:
    async with running_bot(sandbox, database_url) as running:
        yield running
