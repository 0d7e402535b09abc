"""Composition root: choose the concrete pieces and wire them into one running bot.

``Runtime`` owns everything with a lifetime (database, HTTP session, background turns,
the periodic recovery sweep) and closes it in reverse order.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import aiohttp
import structlog
from slack_bolt.app.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from agents.actions.approval import Approval
from agents.actions.execution import Executor
from agents.actions.ports import ApprovalNews, ApprovalNotifier
from agents.feedback.review import Review
from agents.kernel.clock import Clock
from agents.llm.chat import ChatModel
from bot.alerts import Alerter
from bot.app import bolt_app, listen
from bot.clock import SystemClock
from bot.config import Settings, process_environment
from bot.config_file import LoadedConfig, load_config
from bot.incident_tickets import issue_tracker, require_ticket_token, ticket_hosts
from bot.instruments import Instruments
from bot.integrations.executors import build_executors
from bot.integrations.executors.breaker import breaker_states
from bot.integrations.llm import close_chat_models
from bot.integrations.mcp import McpServers
from bot.integrations.pagerduty import PagerDutyClient, PagerDutyDirectory
from bot.integrations.resilience import CircuitBreaker
from bot.mcp_wiring import live_mcp_executors, with_mcp_tools
from bot.metered import MeteredLedger, MeteredNotifier, MeteredUsage
from bot.metrics import Metrics
from bot.planning_wiring import Planning, build_planning
from bot.process_lock import ProcessLock
from bot.slack_client import SlackConnection
from bot.slack_gate import PROBE_EVERY_MAX, SlackGate
from bot.wiring import Domain, Edges, build_domain
from bot.worker import Worker, WorkerOptions
from handlers import Delivery, TurnRunner
from handlers.bookkeeping import Bookkeeping
from handlers.incident_board import SlackIncidentBoard
from handlers.links import LinkPolicy
from handlers.notifier import SlackApprovalNotifier
from handlers.stopping import RunningTurns
from handlers.usergroups import SlackGroupDirectory
from handlers.wording import SlackApprovalsView
from handlers.workspace import SlackWorkspace
from storage import Database, PoolOptions

__all__ = ["Runtime", "RuntimeOptions", "WakingNotifier"]

log = structlog.get_logger(__name__)

PAGERDUTY_WEB = "pagerduty.com"


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
        stream_answers: stream a model's answer into the thread as it is written.
        progress_after: seconds of work after which the person's message gets a "working on
            it" reaction (``None``: never).
        stop_poll_interval: seconds between reads of the Stop requests other replicas took
            (PostgreSQL only: on SQLite one process runs every turn).
        tracer_provider: an OpenTelemetry tracer provider (tests pass one with an in-memory
            exporter); default the global one, a no-op unless ``configure_tracing`` ran.
        reply_deadline: how long after its message a reply Slack has not accepted is still
            tried (then it is given up, logged ``reply_given_up``).
        late_after: a reply delivered this long after its message says it is late.
        first_retry: seconds before a reply Slack refused is first tried again (doubling up
            to 15 s; the Web API gate holds each try while Slack is unreachable).
    """

    socket_mode: bool = False
    recovery_interval: float = 30.0
    recovery_grace: float = 120.0
    drain_timeout: float = 10.0
    progress_after: float | None = 1.0
    live_status: bool = True
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


class WakingNotifier:
    """Passes notifications on, and wakes the worker when a request becomes approved."""

    def __init__(self, inner: ApprovalNotifier, wakeup: asyncio.Event) -> None:
        self._inner = inner
        self._wakeup = wakeup

    async def approval_changed(self, approval: Approval, *, news: ApprovalNews | None) -> None:
        """Wake the worker for a fresh approval, then tell Slack."""
        if approval.state == "approved":
            self._wakeup.set()
        await self._inner.approval_changed(approval, news=news)

    async def escalate(self, approval: Approval, *, channel_id: str) -> None:
        """Announce an expired request."""
        await self._inner.escalate(approval, channel_id=channel_id)


@dataclass(frozen=True, slots=True)
class _Base:
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
    async def open(cls, settings: Settings, options: RuntimeOptions) -> _Base:
        """Load the config, open the database and build the planning pieces (closing the
        database and releasing the lock if that fails)."""
        environ = options.environ or process_environment()
        config, mcp = await with_mcp_tools(options.config or _load(settings), environ)
        clock = options.clock or SystemClock()
        instruments = Instruments.create(tracer_provider=options.tracer_provider)
        try:
            require_ticket_token(config, environ)
            lock, database = await _open_database(settings)
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


@dataclass
class Runtime:
    """A wired, startable Switchboard bot."""

    settings: Settings
    options: RuntimeOptions
    database: Database
    session: aiohttp.ClientSession
    domain: Domain
    runner: TurnRunner
    app: AsyncApp
    worker: Worker
    metrics: Metrics
    alerter: Alerter
    lock: ProcessLock
    clock: Clock
    chat_models: Mapping[str, ChatModel] = field(default_factory=dict)
    slack_gate: SlackGate | None = None
    mcp: McpServers | None = None
    _sweeper: asyncio.Task[None] | None = field(default=None, init=False)
    _stops: asyncio.Task[None] | None = field(default=None, init=False)
    _prober: asyncio.Task[None] | None = field(default=None, init=False)

    @classmethod
    async def create(cls, settings: Settings, options: RuntimeOptions) -> Runtime:
        """Open the database (migrating SQLite) and wire the app. Requires the Slack settings.

        Raises:
            ConfigError: a required setting is missing.
            StorageError: the database cannot be opened or migrated.
        """
        _require_slack(settings, socket_mode=options.socket_mode)
        base = await _Base.open(settings, options)
        config, clock, database = base.config, base.clock, base.database
        metrics = base.instruments.metrics
        # PagerDuty's incident links (``<account>.pagerduty.com``) once it is configured.
        pagerduty_web = [PAGERDUTY_WEB] if config.pagerduty is not None else []
        links = LinkPolicy.of(
            settings.link_allowlist,
            [config.knowledge.base_url],
            [*ticket_hosts(config), *pagerduty_web],
        )
        slack = SlackConnection.open(
            token=settings.secret("slack_bot_token"),
            base_url=settings.slack_api_url,
            links=links,
            trace_configs=[metrics.slack_trace_config(settings.slack_api_url)],
        )
        alerter = Alerter(
            config.alerts,
            post=lambda channel, text: slack.client.chat_postMessage(channel=channel, text=text),
            clock=clock,
        )
        wakeup = asyncio.Event()
        ledger = MeteredLedger(database.ledger, metrics, alerter=alerter)
        groups = _group_directory(config, slack.client)
        pagerduty = _pagerduty(settings, base, slack)
        edges = _edges(
            base,
            slack,
            alerter=alerter,
            ledger=ledger,
            groups=groups,
            wakeup=wakeup,
            pagerduty=pagerduty,
        )
        domain = build_domain(config, database, base.planning, edges, clock=clock)
        if base.mcp is not None:
            catalog = domain.operations.catalog
            base.mcp.subscribe(lambda update: catalog.update(update.actions))
        erasure = domain.erasure
        worker = Worker(
            domain.operations.runs,
            options.worker,
            wakeup=wakeup,
            purge=None if erasure.retention.keeps_everything else erasure.purge_expired,
            reminders=(
                domain.incidents.reminders.remind_due
                if domain.incidents.reminders.enabled
                else None
            ),
        )
        book = Bookkeeping(database.events, ledger, clock=clock, lease=options.event_lease)
        runner = TurnRunner(
            domain.turns,
            Delivery(slack.client, operations=domain.operations, links=links),
            book=book,
            # On SQLite the turns' writes run on the event loop, beside the acks: 4 at once kept
            # the ack rate and p99 within goals (8: p99 up to 2.4x), at the same turns/s.
            max_concurrency=4 if database.dialect == "sqlite" else 64,
            progress_after=options.progress_after,
            live_status=options.live_status,
            stream_answers=options.stream_answers,
            tracing=base.instruments.turns,
            live_client=slack.live,
            reply_deadline=options.reply_deadline,
            late_after=options.late_after,
            first_retry=options.first_retry,
            running=RunningTurns(
                database.stops if database.dialect == "postgresql" else None, clock=clock
            ),
        )
        slack.gate.when_reachable(runner.slack_is_back)
        app = bolt_app(settings, slack.client, socket_mode=options.socket_mode)
        listen(
            app,
            domain,
            runner=runner,
            book=book,
            participation=database.conversations,
            review=Review(
                database.feedback,
                database.traces,
                settings=config.review,
                groups=groups,
                clock=clock,
                operations=domain.operations,
                on_vote=metrics.vote,
            ),
            metrics=metrics,
            contexts=database.contexts,
            clock=clock,
        )
        return cls(
            settings,
            options,
            database,
            slack.session,
            domain,
            runner,
            app,
            worker,
            metrics,
            alerter,
            base.lock,
            clock,
            chat_models=base.planning.models,
            slack_gate=slack.gate,
            mcp=base.mcp,
        )

    async def start(self) -> None:
        """Recover what a previous process left unfinished, then sweep periodically."""
        started = self.clock.now()
        # On SQLite this is the only process (the process lock says so): whatever is still
        # claimed was left by a process that is gone, lease or not.
        recovered = await self.runner.recover(
            claimed_before=started, held_too=self.database.dialect == "sqlite"
        )
        log.info("runtime_started", recovered=recovered, socket_mode=self.options.socket_mode)
        self.worker.start()
        self._sweeper = asyncio.create_task(self._sweep(), name="recovery-sweep")
        if self.slack_gate is not None:
            self._prober = asyncio.create_task(
                self._probe_slack(self.slack_gate), name="slack-probe"
            )
        if self.database.dialect == "postgresql":
            await self.runner.running.poll()  # from now on, other replicas' Stops count
            self._stops = asyncio.create_task(self._poll_stops(), name="stop-requests")

    async def _poll_stops(self) -> None:
        while True:
            await asyncio.sleep(self.options.stop_poll_interval)
            try:
                await self.runner.running.poll()
            except Exception:
                log.exception("stop_poll_failed")

    async def _probe_slack(self, gate: SlackGate) -> None:
        """While Slack is unreachable, ask it (``auth.test``) at the gate's probe interval,
        so that the moment it is back is noticed even when nothing else calls it; the gate
        then hurries every owed reply."""
        client = self.app.client
        while True:
            await gate.until_unreachable()
            try:
                await client.auth_test()
            except (SlackApiError, aiohttp.ClientError, TimeoutError, OSError):
                continue  # still down (or not our turn to probe): the gate paces the next
            except Exception:
                log.exception("slack_probe_failed")
                await asyncio.sleep(PROBE_EVERY_MAX)

    async def _sweep(self) -> None:
        grace = timedelta(seconds=self.options.recovery_grace)
        while True:
            await asyncio.sleep(self.options.recovery_interval)
            try:
                await self.runner.keep_leases()
                await self.runner.recover(claimed_before=self.clock.now() - grace)
            except Exception:
                log.exception("recovery_sweep_failed")

    async def close(self) -> None:
        """Stop sweeping, drain running turns, close the HTTP session and the database."""
        for task in (self._sweeper, self._stops, self._prober):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        cancelled = await self.runner.drain(timeout=self.options.drain_timeout)
        await self.domain.operations.reads.drain(timeout=self.options.drain_timeout)
        await self.worker.stop(timeout=self.options.drain_timeout)
        if cancelled:
            log.warning("turns_cancelled_at_shutdown", count=cancelled)
        await self.alerter.drain()
        if self.mcp is not None:
            await self.mcp.close()
        await close_chat_models(self.chat_models)
        await self.session.close()
        await self.database.close()
        self.lock.release()
        log.info("runtime_stopped")


def _require_slack(settings: Settings, *, socket_mode: bool) -> None:
    """The bot token, and the app token (Socket Mode) or the signing secret (HTTP)."""
    settings.require("slack_bot_token")
    settings.require("slack_app_token" if socket_mode else "slack_signing_secret")


def _load(settings: Settings) -> LoadedConfig:
    """The config file named by ``SWITCHBOARD_CONFIG``, or no actions at all."""
    if settings.config_file is None:
        return LoadedConfig(actions=(), executors={})
    return load_config(settings.config_file)


async def _open_database(settings: Settings) -> tuple[ProcessLock, Database]:
    """The process lock (one bot per SQLite file), then the database, migrated on SQLite."""
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
            await database.migrate()
    except BaseException:
        await database.close()
        lock.release()
        raise
    return lock, database


def _group_directory(config: LoadedConfig, client: AsyncWebClient) -> SlackGroupDirectory:
    """Membership of every user group the config names (approvers, requesters, reviewers)."""
    handles = {
        group
        for action in config.actions
        for group in action.approval.approvers.groups | action.requesters.groups
    } | set(config.review.reviewers.groups)
    if config.incident_tickets is not None:
        handles |= config.incident_tickets.approval.approvers.groups
    return SlackGroupDirectory(client, handles=handles)


def _pagerduty(settings: Settings, base: _Base, slack: SlackConnection) -> PagerDutyClient | None:
    """The PagerDuty client, when the config has a ``pagerduty`` section (the REST token is
    optional: events need only routing keys)."""
    pagerduty = base.config.pagerduty
    if pagerduty is None:
        return None
    token = settings.pagerduty_api_token
    return PagerDutyClient(
        slack.session,
        api_url=pagerduty.api_url,
        events_url=pagerduty.events_url,
        token=token.get_secret_value() if token is not None else None,
        timeout=pagerduty.timeout.total_seconds(),
        sleep=base.instruments.retry_sleep(),
    )


def _executors(
    config: LoadedConfig,
    slack: SlackConnection,
    instruments: Instruments,
    *,
    alerter: Alerter,
    environ: Mapping[str, str],
    mcp: McpServers | None,
    pagerduty: PagerDutyClient | None,
) -> Mapping[str, Executor]:
    """Each action's executor, counted, timed and maybe traced; breakers watched by metrics.
    An MCP tool a server adds while running gets its executor when it is first run."""
    sleep = instruments.retry_sleep()
    breakers: dict[str, CircuitBreaker] = {}
    connections = mcp.connections if mcp is not None else None
    executors = build_executors(
        config,
        session=slack.session,
        environ=environ,
        sleep=sleep,
        mcp=connections,
        breakers=breakers,
        pagerduty=pagerduty,
    )
    instruments.metrics.watch_breakers(lambda: breaker_states(executors))
    built = instruments.executors(executors, alerter=alerter)
    if mcp is None:
        return built

    return live_mcp_executors(
        built,
        mcp,
        breakers=breakers,
        sleep=sleep,
        wrap=lambda e: instruments.executors(e, alerter=alerter),
    )


def _notifier(
    config: LoadedConfig,
    slack: SlackConnection,
    metrics: Metrics,
    *,
    alerter: Alerter,
    wakeup: asyncio.Event,
    mcp: McpServers | None,
) -> ApprovalNotifier:
    """Approval changes told to Slack, counted, and waking the worker for approved ones
    (told of the tools MCP servers add while running, too)."""
    actions = {action.name: action for action in config.actions}
    if mcp is not None:
        mcp.subscribe(lambda update: actions.update((a.name, a) for a in update.actions))
    slack_notifier = SlackApprovalNotifier(slack.client, actions=actions)
    slack.gate.when_reachable(slack_notifier.slack_is_back)
    return WakingNotifier(MeteredNotifier(slack_notifier, metrics, alerter=alerter), wakeup)


def _edges(
    base: _Base,
    slack: SlackConnection,
    *,
    alerter: Alerter,
    ledger: MeteredLedger,
    groups: SlackGroupDirectory,
    wakeup: asyncio.Event,
    pagerduty: PagerDutyClient | None,
) -> Edges:
    """What the domain reaches the world through: Slack, executors, the metered stores,
    PagerDuty."""
    config, metrics = base.config, base.instruments.metrics
    settings = config.pagerduty
    oncall = (
        PagerDutyDirectory(pagerduty, service_ids=settings.service_ids)
        if pagerduty is not None and settings is not None and settings.oncall
        else None
    )
    return Edges(
        workspace=SlackWorkspace(slack.client),
        board=SlackIncidentBoard(slack.client),
        groups=groups,
        executors=_executors(
            config,
            slack,
            base.instruments,
            alerter=alerter,
            environ=base.environ,
            mcp=base.mcp,
            pagerduty=pagerduty,
        ),
        notifier=_notifier(config, slack, metrics, alerter=alerter, wakeup=wakeup, mcp=base.mcp),
        approvals_view=SlackApprovalsView(),
        ledger=ledger,
        usage=base.usage,
        rate_limiter=base.database.rate_limits,
        issues=issue_tracker(config, session=slack.session, environ=base.environ),
        oncall=oncall,
        refresh=base.mcp.refresh if base.mcp is not None else None,
    )
