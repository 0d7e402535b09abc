"""Composition root: choose the concrete pieces and wire them into one running bot.

``Runtime`` owns everything with a lifetime (database, HTTP session, background turns,
the periodic recovery sweep) and closes it in reverse order. What it stands on (options,
config, database) is opened by :mod:`bot.foundation`; the Slack edges the domain reaches the
world through are built by :mod:`bot.slack_edges`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

import aiohttp
import structlog
from slack_bolt.app.async_app import AsyncApp
from slack_sdk.errors import SlackApiError

from agents.feedback.review import Review
from agents.kernel.clock import Clock
from agents.llm.chat import ChatModel
from bot.alerts import Alerter
from bot.app import bolt_app, listen
from bot.config import Settings
from bot.distribution import Distribution
from bot.foundation import Foundation, RuntimeOptions, require_slack
from bot.incident_tickets import ticket_hosts
from bot.install_events import InstallEvents
from bot.metered import MeteredLedger
from bot.metrics import Metrics
from bot.pagerduty_webhook import PagerDutyWebhook, pagerduty_webhook
from bot.process_lock import ProcessLock
from bot.slack_client import SlackConnection
from bot.slack_edges import (
    WakingNotifier,
    group_directory,
    named_groups,
    pagerduty_client,
    slack_edges,
)
from bot.slack_gate import PROBE_EVERY_MAX, SlackGate
from bot.wiring import Domain, build_domain
from bot.worker import Worker
from handlers import Delivery, TurnRunner
from handlers.bookkeeping import Bookkeeping
from handlers.installs import InstallEffects
from handlers.links import LinkPolicy
from handlers.stopping import RunningTurns
from handlers.usergroups import SlackGroupDirectory
from storage import Database

if TYPE_CHECKING:
    from bot.integrations.mcp import McpServers

__all__ = ["Runtime", "RuntimeOptions", "WakingNotifier"]

log = structlog.get_logger(__name__)

PAGERDUTY_WEB = "pagerduty.com"


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
    pagerduty_webhook: PagerDutyWebhook | None = None
    distribution: Distribution | None = None
    """Many workspaces: the OAuth install flow and each workspace's token (None: one)."""
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
        require_slack(settings, socket_mode=options.socket_mode)
        base = await Foundation.open(settings, options)
        config, clock, database = base.config, base.clock, base.database
        metrics = base.instruments.metrics
        links = _link_policy(settings, base)
        distribution, slack = _open_slack(settings, base, links)
        alerter = Alerter(
            config.alerts,
            post=lambda channel, text: slack.client.chat_postMessage(channel=channel, text=text),
            clock=clock,
        )
        wakeup = asyncio.Event()
        ledger = MeteredLedger(database.ledger, metrics, alerter=alerter)
        groups = group_directory(config, slack.client)
        edges = slack_edges(
            base,
            slack,
            alerter=alerter,
            ledger=ledger,
            groups=groups,
            wakeup=wakeup,
            pagerduty=pagerduty_client(settings, base, slack),
        )
        domain = build_domain(config, database, base.planning, edges, clock=clock)
        _follow_mcp(base, domain, groups)
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
        runner = _turn_runner(base, options, domain, slack, book=book, links=links)
        slack.gate.when_reachable(runner.slack_is_back)
        app = bolt_app(
            settings, slack.client, socket_mode=options.socket_mode, distribution=distribution
        )
        _listen(
            app,
            base,
            domain,
            runner=runner,
            book=book,
            groups=groups,
            installs=_install_effects(distribution, domain),
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
            pagerduty_webhook=pagerduty_webhook(base, domain.incidents.pagerduty),
            distribution=distribution,
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
        if self.mcp is not None:
            from bot.integrations.mcp import Backoff  # imported with the servers

            self.metrics.watch_mcp(self.mcp.states)
            backoff = self.options.mcp_backoff or Backoff()
            self.mcp.revive(backoff, on_up=self.metrics.mcp_recovered)
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
        while True:
            await gate.until_unreachable()
            try:
                await self.reach_slack()
            except (SlackApiError, aiohttp.ClientError, TimeoutError, OSError):
                continue  # still down (or not our turn to probe): the gate paces the next
            except Exception:
                log.exception("slack_probe_failed")
                await asyncio.sleep(PROBE_EVERY_MAX)

    async def reach_slack(self) -> object:
        """Ask Slack whether it answers: ``auth.test`` with the bot token (one workspace), or
        ``api.test`` (many: no workspace's token is the bot's own)."""
        if self.distribution is not None:
            return await self.app.client.api_test()
        return await self.app.client.auth_test()

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
        if self.chat_models:
            from bot.integrations.llm import close_chat_models  # imported with the providers

            await close_chat_models(self.chat_models)
        await self.session.close()
        await self.database.close()
        self.lock.release()
        log.info("runtime_stopped")


def _follow_mcp(base: Foundation, domain: Domain, groups: SlackGroupDirectory) -> None:
    """Tools an MCP server adds or withdraws while running reach the catalog, and the user
    groups their policies name are watched."""
    if base.mcp is None:
        return
    catalog = domain.operations.catalog
    base.mcp.subscribe(lambda update: catalog.update(update.actions, withdrawn=update.withdrawn))
    base.mcp.subscribe(lambda update: groups.watch(named_groups(update.actions)))


def _link_policy(settings: Settings, base: Foundation) -> LinkPolicy:
    """Where posts may link: the allowlist, the knowledge base, ticket hosts, and
    PagerDuty's incident links (``<account>.pagerduty.com``) once it is configured."""
    config = base.config
    pagerduty_web = [PAGERDUTY_WEB] if config.pagerduty is not None else []
    return LinkPolicy.of(
        settings.link_allowlist,
        [config.knowledge.base_url],
        [*ticket_hosts(config), *pagerduty_web],
    )


def _open_slack(
    settings: Settings, base: Foundation, links: LinkPolicy
) -> tuple[Distribution | None, SlackConnection]:
    """The way to Slack: with ``SLACK_BOT_TOKEN`` (one workspace), or with each installed
    workspace's token (many: :mod:`bot.distribution`)."""
    distribution = (
        Distribution.build(settings, base.database, clock=base.clock)
        if settings.multi_workspace
        else None
    )
    slack = SlackConnection.open(
        token=None if distribution is not None else settings.secret("slack_bot_token"),
        base_url=settings.slack_api_url,
        links=links,
        middlewares=[base.instruments.metrics.slack_middleware(settings.slack_api_url)],
        tokens=distribution.tokens if distribution is not None else None,
    )
    return distribution, slack


def _turn_runner(
    base: Foundation,
    options: RuntimeOptions,
    domain: Domain,
    slack: SlackConnection,
    *,
    book: Bookkeeping,
    links: LinkPolicy,
) -> TurnRunner:
    """The turn runner over Slack, sized for the database's dialect."""
    database = base.database
    return TurnRunner(
        domain.turns,
        Delivery(slack.client, operations=domain.operations, links=links),
        book=book,
        # On SQLite the turns' writes run on the event loop, beside the acks: 4 at once kept
        # the ack rate and p99 within goals (8: p99 up to 2.4x), at the same turns/s.
        max_concurrency=4 if database.dialect == "sqlite" else 64,
        progress_after=options.progress_after,
        live_status=options.live_status,
        status_after=options.status_after,
        stream_answers=options.stream_answers,
        tracing=base.instruments.turns,
        live_client=slack.live,
        reply_deadline=options.reply_deadline,
        late_after=options.late_after,
        first_retry=options.first_retry,
        first_signal=base.instruments.metrics.first_signal.observe,
        running=RunningTurns(
            database.stops if database.dialect == "postgresql" else None, clock=base.clock
        ),
    )


def _listen(
    app: AsyncApp,
    base: Foundation,
    domain: Domain,
    *,
    runner: TurnRunner,
    book: Bookkeeping,
    groups: SlackGroupDirectory,
    installs: InstallEffects | None,
) -> None:
    """Register the Slack listeners, with the review of votes they hand feedback to."""
    database, metrics, clock = base.database, base.instruments.metrics, base.clock
    listen(
        app,
        domain,
        runner=runner,
        book=book,
        participation=database.conversations,
        review=Review(
            database.feedback,
            database.traces,
            settings=base.config.review,
            groups=groups,
            clock=clock,
            operations=domain.operations,
            on_vote=metrics.vote,
        ),
        metrics=metrics,
        contexts=database.contexts,
        clock=clock,
        installs=installs,
    )


def _install_effects(distribution: Distribution | None, domain: Domain) -> InstallEffects | None:
    """What the install events do (many workspaces only)."""
    if distribution is None:
        return None
    return InstallEvents(distribution, domain.operations.runs)
