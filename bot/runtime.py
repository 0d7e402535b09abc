"""Composition root: choose the concrete pieces and wire them into one running bot.

``Runtime`` owns everything with a lifetime (database, HTTP session, background turns,
the periodic recovery sweep) and closes it in reverse order.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import aiohttp
import structlog
from slack_bolt.app.async_app import AsyncApp

from agents.core.approval import Approval
from agents.core.execution import Executor
from agents.core.facade import Switchboard
from agents.core.llm import ChatModel
from agents.core.operations import Operations
from agents.core.ports import ApprovalNotifier, Clock
from agents.core.retention import Retention
from agents.core.review import Review
from bot.alerts import Alerter
from bot.clock import SystemClock
from bot.config import Settings, process_environment
from bot.config_file import LoadedConfig, load_config
from bot.integrations.executors import build_executors
from bot.integrations.executors.breaker import breaker_states
from bot.integrations.llm import close_chat_models
from bot.metrics import (
    MeteredChatModel,
    MeteredLedger,
    MeteredNotifier,
    MeteredUsage,
    Metrics,
    metered_executors,
)
from bot.planning_wiring import build_planning
from bot.process_lock import ProcessLock
from bot.slack_client import build_web_client
from bot.wiring import Edges, build_domain
from bot.worker import Worker, WorkerOptions
from handlers import Delivery, TurnRunner, register
from handlers.approvals import register_approvals
from handlers.feedback import register_feedback
from handlers.notifier import SlackApprovalNotifier
from handlers.routing import register_routing
from handlers.turns import TurnTracing
from handlers.usergroups import SlackGroupDirectory
from handlers.workspace import SlackWorkspace
from storage import Database, PoolOptions

__all__ = ["Runtime", "RuntimeOptions", "configure_tracing_if_installed"]

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class RuntimeOptions:
    """Knobs of a running bot that are not environment settings.

    Attributes:
        socket_mode: Socket Mode (no signature verification: the socket is authenticated).
        config: the actions config, already loaded (default: ``SWITCHBOARD_CONFIG``, if set).
        clock: the clock (tests move it to expire requests).
        environ: where executors resolve ``${VAR}`` secrets (default: the process environment).
        recovery_interval: seconds between sweeps for deliveries a crash left unfinished.
        recovery_grace: a delivery claimed this many seconds ago and still unfinished is
            considered abandoned by the periodic sweep (at start, every unfinished one is).
        drain_timeout: seconds a shutdown waits for running turns before cancelling them.
        progress_after: seconds of work after which the person's message gets a "working on
            it" reaction (``None``: never).
        tracer_provider: an OpenTelemetry tracer provider (tests pass one with an in-memory
            exporter); default the global one, a no-op unless ``configure_tracing`` ran.
    """

    socket_mode: bool = False
    recovery_interval: float = 30.0
    recovery_grace: float = 120.0
    drain_timeout: float = 10.0
    progress_after: float | None = 1.0
    worker: WorkerOptions = field(default_factory=WorkerOptions)
    config: LoadedConfig | None = None
    clock: Clock | None = None
    environ: Mapping[str, str] | None = None
    tracer_provider: Any | None = None


class WakingNotifier:
    """Passes notifications on, and wakes the worker when a request becomes approved."""

    def __init__(self, inner: ApprovalNotifier, worker: list[Worker]) -> None:
        self._inner = inner
        self._worker = worker

    async def approval_changed(self, approval: Approval, *, note: str | None) -> None:
        """Wake the worker for a fresh approval, then tell Slack."""
        if approval.state == "approved":
            for worker in self._worker:
                worker.wake()
        await self._inner.approval_changed(approval, note=note)

    async def escalate(self, approval: Approval, *, channel_id: str) -> None:
        """Announce an expired request."""
        await self._inner.escalate(approval, channel_id=channel_id)


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
    operations: Operations
    worker: Worker
    metrics: Metrics
    alerter: Alerter
    lock: ProcessLock
    chat_models: Mapping[str, ChatModel] = field(default_factory=dict)
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
        config = options.config
        if config is None:
            config = (
                load_config(settings.config_file)
                if settings.config_file is not None
                else LoadedConfig(actions=(), executors={})
            )
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
        metrics = Metrics()
        usage = MeteredUsage(database.usage, metrics)
        clock = options.clock or SystemClock()
        environ = options.environ or process_environment()
        try:
            if database.dialect == "sqlite":
                await database.migrate()
            tracing = _tracing(options)
            planning = build_planning(
                config,
                usage=usage,
                clock=clock,
                environ=environ,
                wrap=_chat_wrapper(metrics, tracing),
            )
        except BaseException:
            await database.close()
            lock.release()
            raise
        session = aiohttp.ClientSession(
            trace_configs=[metrics.slack_trace_config(settings.slack_api_url)]
        )
        client = build_web_client(
            token=settings.secret("slack_bot_token"),
            base_url=settings.slack_api_url,
            session=session,
        )
        actions = {action.name: action for action in config.actions}
        handles = {
            group
            for action in config.actions
            for group in action.approval.approvers.groups | action.requesters.groups
        } | set(config.review.reviewers.groups)
        groups = SlackGroupDirectory(client, handles=handles)
        worker_box: list[Worker] = []
        alerter = Alerter(
            config.alerts,
            post=lambda channel, text: client.chat_postMessage(channel=channel, text=text),
            clock=clock,
        )
        notifier = WakingNotifier(
            MeteredNotifier(
                SlackApprovalNotifier(client, actions=actions), metrics, alerter=alerter
            ),
            worker_box,
        )
        executors = build_executors(
            config, session=session, environ=environ, sleep=_counting_sleep(metrics)
        )
        metrics.watch_breakers(lambda: breaker_states(executors))
        operations, switchboard = build_domain(
            config,
            database,
            planning,
            Edges(
                workspace=SlackWorkspace(client),
                groups=groups,
                executors=_traced(metered_executors(executors, metrics, alerter=alerter), tracing),
                notifier=notifier,
                ledger=MeteredLedger(database.ledger, metrics, alerter=alerter),
                usage=usage,
                rate_limiter=database.rate_limits,
            ),
            clock=clock,
        )
        worker = Worker(
            operations, options.worker, purge=_retention(config.retention, database, clock)
        )
        worker_box.append(worker)
        runner = TurnRunner(
            switchboard,
            Delivery(client, operations=operations),
            # On SQLite the turns' writes run on the event loop, beside the acks: 4 at once kept
            # the ack rate and p99 within goals (8: p99 up to 2.4x), at the same turns/s.
            max_concurrency=4 if database.dialect == "sqlite" else 64,
            progress_after=options.progress_after,
            tracing=tracing.turns if tracing is not None else None,
        )
        app = AsyncApp(
            client=client,
            signing_secret=("" if options.socket_mode else settings.secret("slack_signing_secret")),
            request_verification_enabled=not options.socket_mode,
            process_before_response=False,
            raise_error_for_unhandled_request=False,
        )
        register(app, switchboard=switchboard, runner=runner, meter=metrics)
        register_approvals(app, operations=operations)
        register_routing(app, switchboard=switchboard, runner=runner)
        review = Review(
            database.feedback,
            database.traces,
            settings=config.review,
            groups=groups,
            clock=clock,
            operations=operations,
            on_vote=metrics.vote,
        )
        register_feedback(app, review=review)
        return cls(
            settings,
            options,
            database,
            session,
            switchboard,
            runner,
            app,
            operations,
            worker,
            metrics,
            alerter,
            lock,
            chat_models=planning.models,
        )

    async def start(self) -> None:
        """Recover what a previous process left unfinished, then sweep periodically."""
        started = self.switchboard.clock.now()
        recovered = await self.runner.recover(claimed_before=started)
        log.info("runtime_started", recovered=recovered, socket_mode=self.options.socket_mode)
        self.worker.start()
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
        await self.worker.stop(timeout=self.options.drain_timeout)
        if cancelled:
            log.warning("turns_cancelled_at_shutdown", count=cancelled)
        await self.alerter.drain()
        await close_chat_models(self.chat_models)
        await self.session.close()
        await self.database.close()
        self.lock.release()
        log.info("runtime_stopped")


@dataclass(frozen=True, slots=True)
class _Tracing:
    """The OpenTelemetry pieces, when the ``otel`` extra is installed."""

    turns: TurnTracing
    chat_model: Callable[[ChatModel, str], ChatModel]
    executor: Callable[[Executor, str], Executor]


def configure_tracing_if_installed() -> bool:
    """Export spans over OTLP (``OTEL_*`` variables); False without the ``otel`` extra."""
    try:
        from bot.tracing import configure_tracing
    except ImportError:
        log.warning("tracing_unavailable", hint="pip install 'switchboard[otel]'")
        return False
    return configure_tracing()


def _tracing(options: RuntimeOptions) -> _Tracing | None:
    try:
        from bot.tracing import OtelTracing, TracedChatModel, TracedExecutor, tracer_of
    except ImportError:  # the otel extra is not installed: no spans
        return None
    tracer = tracer_of(options.tracer_provider)
    return _Tracing(
        turns=OtelTracing(tracer),
        chat_model=lambda model, kind: TracedChatModel(model, tracer, provider_kind=kind),
        executor=lambda executor, action: TracedExecutor(executor, tracer, action=action),
    )


def _chat_wrapper(
    metrics: Metrics, tracing: _Tracing | None
) -> Callable[[ChatModel, str], ChatModel]:
    """Each provider's client timed (metrics) and, with the otel extra, traced."""

    def wrap(model: ChatModel, kind: str) -> ChatModel:
        timed = MeteredChatModel(model, metrics)
        return tracing.chat_model(timed, kind) if tracing is not None else timed

    return wrap


def _traced(executors: Mapping[str, Executor], tracing: _Tracing | None) -> Mapping[str, Executor]:
    if tracing is None:
        return executors
    return {name: tracing.executor(e, name) for name, e in executors.items()}


def _counting_sleep(metrics: Metrics) -> Callable[[float], Awaitable[None]]:
    """The executors' wait between attempts, counting each one as a retry."""
    retried = metrics.retried("executor")

    async def sleep(seconds: float) -> None:
        retried()
        await asyncio.sleep(seconds)

    return sleep


def _retention(
    retention: Retention, database: Database, clock: Clock
) -> Callable[[], Awaitable[int]] | None:
    """The worker's purge step: each tier past its retention days (None: kept)."""
    tiers: list[tuple[int, Callable[..., Awaitable[int]]]] = [
        (days, purge)
        for days, purge in (
            (retention.messages_days, database.conversations.purge),
            (retention.notes_days, database.notes.purge),
            (retention.summaries_days, database.threads.purge),
            (retention.usage_days, database.usage.purge),
            (retention.misses_days, database.knowledge.purge_misses),
        )
        if days is not None
    ]
    if not tiers:
        return None

    async def purge() -> int:
        now = clock.now()
        purged = 0
        for days, remove in tiers:
            purged += await remove(before=now - timedelta(days=days))
        return purged

    return purge
