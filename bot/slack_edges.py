"""The Slack edges of a running bot: what the domain reaches the world through when it runs
against Slack (the evaluation replay hands in recorders instead, :mod:`bot.eval_replay`).

Each edge is decorated here: executors counted, timed and maybe traced, approval changes
counted and waking the worker, the ledger metered.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING

from slack_sdk.web.async_client import AsyncWebClient

from agents.actions.approval import Approval
from agents.actions.execution import Executor
from agents.actions.ports import ApprovalNews, ApprovalNotifier
from agents.actions.spec import ActionSpec
from agents.incidents.pagerduty_news import PagerDutyUpdates
from agents.kernel.tenancy import acting_for
from bot.alerts import Alerter
from bot.config import Settings
from bot.config_file import LoadedConfig
from bot.foundation import Foundation
from bot.incident_tickets import issue_tracker
from bot.instruments import Instruments
from bot.metered import MeteredLedger, MeteredNotifier
from bot.metrics import Metrics
from bot.paging_wiring import link_triggers
from bot.slack_client import SlackConnection
from bot.wiring import Edges
from handlers.incident_board import SlackIncidentBoard
from handlers.notifier import SlackApprovalNotifier
from handlers.slack_people import SlackPeople
from handlers.usergroups import SlackGroupDirectory
from handlers.wording import SlackApprovalsView
from handlers.workspace import SlackWorkspace

# The integrations (executors, MCP, PagerDuty) are imported only when the config uses them: a
# bot without actions, MCP servers or PagerDuty never loads them (issue 19).
if TYPE_CHECKING:
    from bot.integrations.mcp import McpServers
    from bot.integrations.pagerduty import PagerDutyClient
    from bot.integrations.resilience import CircuitBreaker

__all__ = ["WakingNotifier", "group_directory", "named_groups", "pagerduty_client", "slack_edges"]


class WakingNotifier:
    """Passes notifications on, and wakes the worker when a request becomes approved."""

    def __init__(self, inner: ApprovalNotifier, wakeup: asyncio.Event) -> None:
        self._inner = inner
        self._wakeup = wakeup

    async def approval_changed(self, approval: Approval, *, news: ApprovalNews | None) -> None:
        """Wake the worker for a fresh approval, then tell Slack (as the approval's workspace,
        whoever changed it: a click, the worker, the expiry sweep)."""
        if approval.state == "approved":
            self._wakeup.set()
        with acting_for(approval.team_id):
            await self._inner.approval_changed(approval, news=news)

    async def escalate(self, approval: Approval, *, channel_id: str) -> None:
        """Announce an expired request (in its workspace)."""
        with acting_for(approval.team_id):
            await self._inner.escalate(approval, channel_id=channel_id)


def group_directory(config: LoadedConfig, client: AsyncWebClient) -> SlackGroupDirectory:
    """Membership of every user group the config names (approvers, requesters, reviewers);
    the groups of tools MCP servers add while running are watched as they appear."""
    handles = named_groups(config.actions) | set(config.review.reviewers.groups)
    if config.incident_tickets is not None:
        handles |= config.incident_tickets.approval.approvers.groups
    return SlackGroupDirectory(client, handles=handles)


def named_groups(actions: Iterable[ActionSpec]) -> set[str]:
    """The user groups ``actions`` name as their approvers or requesters."""
    return {
        group
        for action in actions
        for group in action.approval.approvers.groups | action.requesters.groups
    }


def pagerduty_client(
    settings: Settings, base: Foundation, slack: SlackConnection
) -> PagerDutyClient | None:
    """The PagerDuty client, when the config has a ``pagerduty`` section (the REST token is
    optional: events need only routing keys)."""
    pagerduty = base.config.pagerduty
    if pagerduty is None:
        return None
    from bot.integrations.pagerduty import PagerDutyClient

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
    link: Callable[[Mapping[str, Executor]], Mapping[str, Executor]],
) -> Mapping[str, Executor]:
    """Each action's executor, counted, timed and maybe traced; breakers watched by metrics;
    ``link`` wraps them (a trigger tells its incident). An MCP tool a server adds while
    running gets its executor when it is first run."""
    sleep = instruments.retry_sleep()
    if not config.actions and mcp is None:  # nothing to execute: no executor module needed
        instruments.metrics.watch_breakers(dict)
        return link(instruments.executors({}, alerter=alerter))
    from bot.integrations.executors import breaker_states, build_executors
    from bot.mcp_wiring import live_mcp_executors

    breakers: dict[str, CircuitBreaker] = {}
    executors = build_executors(
        config,
        session=slack.session,
        environ=environ,
        sleep=sleep,
        mcp=mcp.connections if mcp is not None else None,
        breakers=breakers,
        pagerduty=pagerduty,
    )
    instruments.metrics.watch_breakers(lambda: breaker_states(executors))
    built = link(instruments.executors(executors, alerter=alerter))
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


def slack_edges(
    base: Foundation,
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
    oncall = None
    if pagerduty is not None and settings is not None and settings.oncall:
        from bot.integrations.pagerduty import PagerDutyDirectory

        oncall = PagerDutyDirectory(
            pagerduty, service_ids=settings.service_ids, people=SlackPeople(slack.client)
        )
    board = SlackIncidentBoard(slack.client, pageable=settings.pageable if settings else ())
    updates = PagerDutyUpdates(base.database.incidents, board=board)
    executors = _executors(
        config,
        slack,
        base.instruments,
        alerter=alerter,
        environ=base.environ,
        mcp=base.mcp,
        pagerduty=pagerduty,
        link=lambda built: link_triggers(built, updates, clock=base.clock),
    )
    return Edges(
        workspace=SlackWorkspace(slack.client),
        board=board,
        groups=groups,
        executors=executors,
        notifier=_notifier(config, slack, metrics, alerter=alerter, wakeup=wakeup, mcp=base.mcp),
        approvals_view=SlackApprovalsView(),
        ledger=ledger,
        usage=base.usage,
        rate_limiter=base.database.rate_limits,
        issues=issue_tracker(config, session=slack.session, environ=base.environ),
        oncall=oncall,
        refresh=base.mcp.refresh if base.mcp is not None else None,
    )
