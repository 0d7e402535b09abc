"""Composition root: choose the concrete pieces and wire them into one running bot.

``Runtime`` owns everything with a lifetime (database, HTTP session, background turns,
the periodic recovery sweep) and closes it in reverse order.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from datetime import timedelta

import aiohttp
import structlog
from slack_bolt.app.async_app import AsyncApp

from agents.core.facade import Stores, Switchboard
from agents.registry import FALLBACK_AGENT, builtin_agents
from bot.clock import SystemClock
from bot.config import Settings
from bot.slack_client import build_web_client
from handlers import Delivery, TurnRunner, register
from storage import Database

__all__ = ["Runtime", "RuntimeOptions"]

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class RuntimeOptions:
    """Knobs of a running bot that are not environment settings.

    Attributes:
        socket_mode: Socket Mode (no signature verification: the socket is authenticated).
        recovery_interval: seconds between sweeps for deliveries a crash left unfinished.
        recovery_grace: a delivery claimed this many seconds ago and still unfinished is
            considered abandoned by the periodic sweep (at start, every unfinished one is).
        drain_timeout: seconds a shutdown waits for running turns before cancelling them.
    """

    socket_mode: bool = False
    recovery_interval: float = 30.0
    recovery_grace: float = 120.0
    drain_timeout: float = 10.0


@dataclass
class Runtime:
    """A wired, startable Switchboard bot."""

    settings: Settings
    options: RuntimeOptions
    database: Database
    session: aiohttp.ClientSession
    switchboard: Switchboard
    runner: TurnRunner
    app: AsyncApp
    _sweeper: asyncio.Task[None] | None = field(default=None, init=False)

    @classmethod
    async def create(cls, settings: Settings, options: RuntimeOptions) -> Runtime:
        """Open the database (migrating SQLite) and wire the app. Requires the Slack settings.

        Raises:
            ConfigError: a required setting is missing.
            StorageError: the database cannot be opened or migrated.
        """
        settings.require("slack_bot_token")
        if options.socket_mode:
            settings.require("slack_app_token")
        else:
            settings.require("slack_signing_secret")
        database = await Database.connect(settings.database_url)
        try:
            if database.dialect == "sqlite":
                await database.migrate()
        except BaseException:
            await database.close()
            raise
        session = aiohttp.ClientSession()
        client = build_web_client(
            token=settings.secret("slack_bot_token"),
            base_url=settings.slack_api_url,
            session=session,
        )
        clock = SystemClock()
        switchboard = Switchboard(
            builtin_agents(),
            fallback=FALLBACK_AGENT,
            stores=Stores(
                events=database.events,
                conversations=database.conversations,
                traces=database.traces,
            ),
            clock=clock,
        )
        runner = TurnRunner(switchboard, Delivery(client))
        app = AsyncApp(
            client=client,
            signing_secret=("" if options.socket_mode else settings.secret("slack_signing_secret")),
            request_verification_enabled=not options.socket_mode,
            process_before_response=False,
            raise_error_for_unhandled_request=False,
        )
        register(app, switchboard=switchboard, runner=runner)
        return cls(settings, options, database, session, switchboard, runner, app)

    async def start(self) -> None:
        """Recover what a previous process left unfinished, then sweep periodically."""
        started = self.switchboard.clock.now()
        recovered = await self.runner.recover(claimed_before=started)
        log.info("runtime_started", recovered=recovered, socket_mode=self.options.socket_mode)
        self._sweeper = asyncio.create_task(self._sweep(), name="recovery-sweep")

    async def _sweep(self) -> None:
        grace = timedelta(seconds=self.options.recovery_grace)
        while True:
            await asyncio.sleep(self.options.recovery_interval)
            try:
                await self.runner.recover(claimed_before=self.switchboard.clock.now() - grace)
            except Exception:
                log.exception("recovery_sweep_failed")

    async def close(self) -> None:
        """Stop sweeping, drain running turns, close the HTTP session and the database."""
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
        cancelled = await self.runner.drain(timeout=self.options.drain_timeout)
        if cancelled:
            log.warning("turns_cancelled_at_shutdown", count=cancelled)
        await self.session.close()
        await self.database.close()
        log.info("runtime_stopped")
