"""What a running bot stands on: its options, the config (with its MCP servers' tools), the
clock, the instruments, and the database under the process lock.

Kept apart from :mod:`bot.runtime` so that the runtime reads as the parts it wires and the
lifetimes it owns; this module is the part that can fail before anything is wired (a missing
setting, a config the MCP servers refuse, a database that cannot be opened), and undoes what
it opened when it does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import structlog

from agents.kernel.clock import Clock
from bot.clock import SystemClock
from bot.config import Settings, process_environment
from bot.config_file import LoadedConfig
from bot.incident_tickets import require_ticket_token
from bot.instruments import Instruments
from bot.metered import MeteredUsage
from bot.pagerduty_webhook import webhook_secrets
from bot.planning_wiring import Planning, build_planning
from bot.process_lock import ProcessLock
from bot.worker import WorkerOptions
from storage import Database, PoolOptions

if TYPE_CHECKING:
    from bot.integrations.mcp import Backoff, McpServers

__all__ = [
    "Foundation",
    "RuntimeOptions",
    "load_actions_config",
    "open_database",
    "require_slack",
]

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class RuntimeOptions:
    """Knobs of a running bot that are not environment settings.

    Attributes:
        socket_mode: Socket Mode (no signature verification: the socket is authenticated).
        config: the actions config, already loaded (default: ``SWITCHBOARD_CONFIG``, if set).
        clock: the clock (tests move it to expire requests).
        environ: where executors resolve ``${VAR}`` secrets (default: the process environment).
        recovery_interval: seconds between sweeps for deliveries a crash left unfinished (each
            sweep first renews the leases of this process's own deliveries).
        recovery_grace: the periodic sweep takes over an unfinished delivery only once it was
            claimed this many seconds ago and its holder's lease ran out (at start on SQLite,
            every unfinished one: it is the only process).
        event_lease: how long a process holds a delivery it works on without renewing it;
            another replica takes over a delivery only after its lease ran out.
        drain_timeout: seconds a shutdown waits for running turns before cancelling them.
        live_status: show what the agent is doing as a status line in the turn's thread.
        status_after: seconds a turn works before its first status (and the agent session's
            ``processing``) shows, unless it reports slow work sooner (reading the thread,
            calling the model, searching, preparing an action): a turn answered within it
            sends neither, so its reply comes one Slack round trip sooner (0: at once).
        stream_answers: stream a model's answer into the thread as it is written.
        progress_after: seconds of work after which the person's message gets a "working on
            it" reaction (``None``: never).
        stop_poll_interval: seconds between reads of the Stop requests other replicas took
            (PostgreSQL only: on SQLite one process runs every turn).
        tracer_provider: an OpenTelemetry tracer provider (tests pass one with an in-memory
            exporter); default the global one, used only when an ``OTEL_*`` variable is set.
        reply_deadline: how long after its message a reply Slack has not accepted is still
            tried (then it is given up, logged ``reply_given_up``).
        late_after: a reply delivered this long after its message says it is late.
        first_retry: seconds before a reply Slack refused is first tried again (doubling up
            to 15 s; the Web API gate holds each try while Slack is unreachable).
        mcp_backoff: how an MCP server unavailable at start-up is tried again (default:
            :class:`~bot.integrations.mcp.Backoff`'s, imported only with MCP servers).
        migrate_apart: migrate a SQLite file that is behind in a child process, so that the
            bot never holds Alembic in memory (``switchboard run``; about 13 MiB).
    """

    socket_mode: bool = False
    recovery_interval: float = 30.0
    recovery_grace: float = 120.0
    drain_timeout: float = 10.0
    progress_after: float | None = 1.0
    live_status: bool = True
    status_after: float = 0.25
    stream_answers: bool = True
    stop_poll_interval: float = 0.5
    worker: WorkerOptions = field(default_factory=WorkerOptions)
    config: LoadedConfig | None = None
    clock: Clock | None = None
    environ: Mapping[str, str] | None = None
    tracer_provider: Any | None = None
    event_lease: timedelta = timedelta(seconds=60)
    reply_deadline: timedelta = timedelta(hours=6)
    late_after: timedelta = timedelta(minutes=1)
    first_retry: float = 1.0
    mcp_backoff: Backoff | None = None
    migrate_apart: bool = False


@dataclass(frozen=True, slots=True)
class Foundation:
    """What a runtime stands on: the config, clock and environment, the instruments, the
    database (under the process lock) and the planning pieces."""

    config: LoadedConfig
    clock: Clock
    environ: Mapping[str, str]
    instruments: Instruments
    lock: ProcessLock
    database: Database
    usage: MeteredUsage
    planning: Planning
    mcp: McpServers | None

    @classmethod
    async def open(cls, settings: Settings, options: RuntimeOptions) -> Foundation:
        """Load the config, open the database and build the planning pieces (closing the
        database and releasing the lock if that fails)."""
        environ = options.environ or process_environment()
        config, mcp = await _with_mcp_tools(
            options.config or load_actions_config(settings), environ
        )
        clock = options.clock or SystemClock()
        instruments = Instruments.create(tracer_provider=options.tracer_provider, environ=environ)
        try:
            require_ticket_token(config, environ)
            webhook_secrets(config, environ)
            lock, database = await open_database(settings, apart=options.migrate_apart)
        except BaseException:
            if mcp is not None:
                await mcp.close()
            raise
        try:
            usage = MeteredUsage(database.usage, instruments.metrics)
            planning = build_planning(
                config, usage=usage, clock=clock, environ=environ, wrap=instruments.chat_model
            )
        except BaseException:
            await database.close()
            lock.release()
            if mcp is not None:
                await mcp.close()
            raise
        return cls(config, clock, environ, instruments, lock, database, usage, planning, mcp)


async def _with_mcp_tools(
    config: LoadedConfig, environ: Mapping[str, str]
) -> tuple[LoadedConfig, McpServers | None]:
    """:func:`bot.mcp_wiring.with_mcp_tools`, imported (with the MCP client and the executors)
    only when the config names MCP servers."""
    if not config.mcp_servers:
        return config, None
    from bot.mcp_wiring import with_mcp_tools

    return await with_mcp_tools(config, environ)


def require_slack(settings: Settings, *, socket_mode: bool) -> None:
    """The bot token (or, for many workspaces, the OAuth client and state secret), and the
    app token (Socket Mode) or the signing secret (HTTP)."""
    if settings.multi_workspace:
        settings.require("slack_client_secret", "slack_state_secret")
    else:
        settings.require("slack_bot_token")
    settings.require("slack_app_token" if socket_mode else "slack_signing_secret")


def load_actions_config(settings: Settings) -> LoadedConfig:
    """The config file named by ``SWITCHBOARD_CONFIG``, or no actions at all."""
    if settings.config_file is None:
        return LoadedConfig(actions=(), executors={})
    from bot.config_file.loader import load_config  # the sections' models: only with a file

    return load_config(settings.config_file)


async def open_database(settings: Settings, *, apart: bool = False) -> tuple[ProcessLock, Database]:
    """The process lock (one bot per SQLite file), then the database, migrated on SQLite
    (``apart``: in a child process, see :meth:`Database.migrate`)."""
    lock = ProcessLock.acquire(settings.database_url)
    try:
        database = await Database.connect(
            settings.database_url,
            pool=PoolOptions(
                size=settings.db_pool_size,
                max_overflow=settings.db_max_overflow,
                statement_timeout_ms=settings.db_statement_timeout_ms,
            ),
        )
    except BaseException:
        lock.release()
        raise
    try:
        if database.dialect == "sqlite":
            await database.migrate(apart=apart)
    except BaseException:
        await database.close()
        lock.release()
        raise
    return lock, database
