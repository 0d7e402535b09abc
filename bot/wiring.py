"""The domain wired over a database: operations, the turn service with the built-in agents,
and erasure.

``Runtime.create`` and the evaluation replay build the same domain; only the edges differ
(Slack or recorders, metered or plain stores), so they hand those in.
"""

from __future__ import annotations

from collections import ChainMap
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from agents.actions.canonical import TargetResolver
from agents.actions.execution import Executor
from agents.actions.operations import Operations, OperationStores, build_operations
from agents.actions.ports import ApprovalNotifier, GroupDirectory
from agents.actions.read_cache import ReadCache
from agents.actions.spec import ActionSpec, ParamValue
from agents.builtin.incident import IncidentDeps
from agents.builtin.knowledge import KnowledgeDeps
from agents.incidents.followups import TICKET_ACTION, FollowUpTickets
from agents.incidents.page_buttons import PageButtons
from agents.incidents.pagerduty_news import PagerDutyUpdates
from agents.incidents.ports import IncidentBoard, IssueTracker, TicketRequests, Workspace
from agents.incidents.reminders import Reminders
from agents.incidents.roles import Roles
from agents.incidents.schedules import OncallDirectory
from agents.incidents.timeline import Pins
from agents.kernel.clock import Clock
from agents.kernel.errors import ConfigError
from agents.llm.usage import UsageStore
from agents.memory.erasure import Erasure, ErasureStores
from agents.memory.retention import Retention
from agents.registry import FALLBACK_AGENT, BuiltinDeps, builtin_agents
from agents.turns.agent import Agent
from agents.turns.assembly import Memory, build_suggestions, build_turns
from agents.turns.catalog import agent_scopes
from agents.turns.ports import ApprovalsView, RateLimiter, TurnLedger
from agents.turns.suggestions import Suggestions
from agents.turns.turns import Turns, TurnStores
from bot.config_file import LoadedConfig
from bot.incident_tickets import TicketExecutor, TicketProposals, TicketTargets, ticket_action
from bot.paging_wiring import build_paging
from bot.planning_wiring import Planning, build_composer
from storage import Database

if TYPE_CHECKING:
    from bot.config_file import ExecutorConfig

__all__ = ["Domain", "Edges", "IncidentServices", "build_domain", "build_erasure"]


@dataclass(frozen=True, slots=True)
class Edges:
    """What reaches outside the domain: Slack (or recorders), executors, the stores that are
    decorated (metered ledger and usage), the rate limiter (None: no limit), the issue
    tracker follow-ups are filed in (None: tickets are not configured) and the on-call
    directory (PagerDuty; None: rotations only)."""

    workspace: Workspace
    board: IncidentBoard
    groups: GroupDirectory
    executors: Mapping[str, Executor]
    notifier: ApprovalNotifier
    approvals_view: ApprovalsView
    ledger: TurnLedger
    usage: UsageStore
    rate_limiter: RateLimiter | None
    issues: IssueTracker | None = None
    oncall: OncallDirectory | None = None

    refresh: Callable[[ActionSpec], Awaitable[None]] | None = None
    """Brings the executor configs up to date before an action runs (MCP servers' tools)."""


@dataclass(frozen=True, slots=True)
class IncidentServices:
    """What runs incidents outside a turn: role clicks, pins, status-update reminders,
    PagerDuty's webhooks, the card's paging buttons."""

    roles: Roles
    pins: Pins
    reminders: Reminders
    pagerduty: PagerDutyUpdates
    page_buttons: PageButtons


@dataclass(frozen=True, slots=True)
class Domain:
    """The wired domain: actions and approvals, turns, erasure and incidents."""

    operations: Operations
    turns: Turns
    erasure: Erasure
    suggestions: Suggestions
    incidents: IncidentServices


def build_domain(
    config: LoadedConfig,
    database: Database,
    planning: Planning,
    edges: Edges,
    *,
    clock: Clock,
) -> Domain:
    """Operations over the configured actions, the turn service over the built-in agents,
    and erasure over every store that keeps what people wrote."""
    tickets = _Tickets.of(config, database, edges)
    operations = build_operations(
        (*config.actions, *tickets.actions),
        stores=OperationStores(
            approvals=database.approvals, jobs=database.jobs, audit=database.audit
        ),
        groups=edges.groups,
        executors=_also(edges.executors, tickets.executors),
        targets=tickets.targets,
        notifier=edges.notifier,
        clock=clock,
        refresh=edges.refresh,
        read_cache=(
            ReadCache(clock=clock, ttl=config.read_cache_ttl)
            if config.read_cache_ttl is not None
            else None
        ),
        scopes=agent_scopes(config.planning.profiles),
    )
    agents = _agents(
        config, database, planning, edges, operations=operations, tickets=tickets, clock=clock
    )
    turns = build_turns(
        agents,
        fallback=FALLBACK_AGENT,
        stores=TurnStores(
            replies=database.conversations, ledger=edges.ledger, locks=database.locks
        ),
        clock=clock,
        planning=config.planning,
        operations=operations,
        approvals_view=edges.approvals_view,
        llm=planning.llm,
        memory=Memory(
            database.conversations,
            notes=database.notes,
            threads=database.threads,
            contexts=database.contexts,
        ),
        classifier=planning.classifier,
        rate_limiter=edges.rate_limiter,
    )
    erasure = build_erasure(database, retention=config.retention, clock=clock)
    suggestions = build_suggestions(
        agents, fallback=FALLBACK_AGENT, planning=config.planning, operations=operations
    )
    return Domain(
        operations, turns, erasure, suggestions, _incident_services(config, database, edges, clock)
    )


def _also(
    executors: Mapping[str, Executor], more: Mapping[str, Executor]
) -> Mapping[str, Executor]:
    """``executors`` and ``more``, without copying ``executors``: it may be live (the
    executors of tools an MCP server adds while running are made when first asked for)."""
    if not more:
        return executors
    # a ChainMap writes only to its first map; the live executors are only read
    return ChainMap(dict(more), cast("MutableMapping[str, Executor]", executors))


def _agents(
    config: LoadedConfig,
    database: Database,
    planning: Planning,
    edges: Edges,
    *,
    operations: Operations,
    tickets: _Tickets,
    clock: Clock,
) -> tuple[Agent, ...]:
    """The built-in agents (and the configured custom ones), each given only its own
    dependencies: the incident agent its stores, board and paging, the knowledge agent its
    index and composer."""
    return builtin_agents(
        BuiltinDeps(
            clock=clock,
            incident=IncidentDeps(
                clock=clock,
                workspace=edges.workspace,
                incidents=database.incidents,
                board=edges.board,
                tickets=tickets.requests(operations),
                rotations=config.rotations,
                settings=config.incident_settings,
                paging=build_paging(config, operations, store=database.incidents, clock=clock),
                oncall=edges.oncall,
            ),
            knowledge=KnowledgeDeps(
                clock=clock,
                index=database.knowledge,
                settings=config.knowledge,
                composer=build_composer(config, planning, usage=edges.usage, clock=clock),
            ),
            notes=database.notes,
            threads=database.threads,
            oncall=edges.oncall,
        ),
        custom=config.planning.profiles.values(),
    )


@dataclass(frozen=True, slots=True)
class _Tickets:
    """The follow-up ticket action, when ``incidents.tickets`` is configured: the action,
    its executor, the targets that show it on a card, and the agent's proposer."""

    actions: tuple[ActionSpec, ...]
    executors: Mapping[str, Executor]
    targets: TargetResolver

    @classmethod
    def of(cls, config: LoadedConfig, database: Database, edges: Edges) -> _Tickets:
        targets = _ConfigTargets(config.executors)
        settings = config.incident_tickets
        if settings is None or edges.issues is None:
            return cls((), {}, targets)
        if config.action(TICKET_ACTION) is not None:
            raise ConfigError(TICKET_ACTION, "is the follow-up ticket action's name")
        where = f"Jira project {settings.repo}" if settings.kind == "jira" else settings.repo
        tickets = FollowUpTickets(database.incidents, edges.issues, repo=where)
        return cls(
            (ticket_action(settings),),
            {TICKET_ACTION: TicketExecutor(tickets)},
            TicketTargets(targets, settings),
        )

    def requests(self, operations: Operations) -> TicketRequests | None:
        return TicketProposals(operations.proposals, self.actions[0]) if self.actions else None


class _ConfigTargets:
    """:class:`~bot.integrations.executors.ConfigTargets`, imported (with the executors) when
    an action's target is first resolved: a bot without actions never imports them."""

    def __init__(self, executors: Mapping[str, ExecutorConfig]) -> None:
        self._executors = executors
        self._inner: TargetResolver | None = None

    def resolve(self, action: ActionSpec, params: Mapping[str, ParamValue]) -> Mapping[str, object]:
        if self._inner is None:
            from bot.integrations.executors import ConfigTargets

            self._inner = ConfigTargets(self._executors)
        return self._inner.resolve(action, params)


def _incident_services(
    config: LoadedConfig, database: Database, edges: Edges, clock: Clock
) -> IncidentServices:
    store = database.incidents
    return IncidentServices(
        roles=Roles(store, workspace=edges.workspace, board=edges.board, clock=clock),
        pins=Pins(store, board=edges.board),
        pagerduty=PagerDutyUpdates(store, board=edges.board),
        page_buttons=PageButtons(
            store, pageable=config.pagerduty.pageable if config.pagerduty else ()
        ),
        reminders=Reminders(
            store,
            workspace=edges.workspace,
            clock=clock,
            intervals=config.incident_settings.update_intervals,
        ),
    )


def build_erasure(database: Database, *, retention: Retention, clock: Clock) -> Erasure:
    """The one erasure service over every store that keeps what people wrote (Slack edits
    and deletions, ``memory forget`` and the retention purge all use it)."""
    return Erasure(
        ErasureStores(
            transcript=database.transcript,
            notes=database.notes,
            threads=database.threads,
            usage=database.usage,
            misses=database.knowledge,
            events=database.events,
            traces=database.traces,
        ),
        retention=retention,
        clock=clock,
    )
