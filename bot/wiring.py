"""The domain wired over a database: operations, the turn service with the built-in agents,
and erasure.

``Runtime.create`` and the evaluation replay build the same domain; only the edges differ
(Slack or recorders, metered or plain stores), so they hand those in.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from agents.actions.execution import Executor
from agents.actions.operations import Operations, OperationStores, build_operations
from agents.actions.ports import ApprovalNotifier, GroupDirectory
from agents.actions.read_cache import ReadCache
from agents.actions.spec import ActionSpec
from agents.builtin.incident import IncidentDeps
from agents.builtin.knowledge import KnowledgeDeps
from agents.incidents.ports import Workspace
from agents.kernel.clock import Clock
from agents.llm.usage import UsageStore
from agents.memory.erasure import Erasure, ErasureStores
from agents.memory.retention import Retention
from agents.registry import FALLBACK_AGENT, BuiltinDeps, builtin_agents
from agents.turns.assembly import Memory, build_suggestions, build_turns
from agents.turns.ports import ApprovalsView, RateLimiter, TurnLedger
from agents.turns.suggestions import Suggestions
from agents.turns.turns import Turns, TurnStores
from bot.config_file import LoadedConfig
from bot.integrations.executors import ConfigTargets
from bot.planning_wiring import Planning, build_composer
from storage import Database

__all__ = ["Domain", "Edges", "build_domain", "build_erasure"]


@dataclass(frozen=True, slots=True)
class Edges:
    """What reaches outside the domain: Slack (or recorders), executors, the stores that are
    decorated (metered ledger and usage), and the rate limiter (None: no limit)."""

    workspace: Workspace
    groups: GroupDirectory
    executors: Mapping[str, Executor]
    notifier: ApprovalNotifier
    approvals_view: ApprovalsView
    ledger: TurnLedger
    usage: UsageStore
    rate_limiter: RateLimiter | None
    refresh: Callable[[ActionSpec], Awaitable[None]] | None = None
    """Brings the executor configs up to date before an action runs (MCP servers' tools)."""


@dataclass(frozen=True, slots=True)
class Domain:
    """The wired domain: actions and approvals, turns, and erasure."""

    operations: Operations
    turns: Turns
    erasure: Erasure
    suggestions: Suggestions


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
    operations = build_operations(
        config.actions,
        stores=OperationStores(
            approvals=database.approvals, jobs=database.jobs, audit=database.audit
        ),
        groups=edges.groups,
        executors=edges.executors,
        targets=ConfigTargets(config.executors),
        notifier=edges.notifier,
        clock=clock,
        refresh=edges.refresh,
        read_cache=(
            ReadCache(clock=clock, ttl=config.read_cache_ttl)
            if config.read_cache_ttl is not None
            else None
        ),
    )
    agents = builtin_agents(
        BuiltinDeps(
            clock=clock,
            incident=IncidentDeps(
                clock=clock,
                workspace=edges.workspace,
                incidents=database.incidents,
                rotations=config.rotations,
                settings=config.incident_settings,
            ),
            knowledge=KnowledgeDeps(
                clock=clock,
                index=database.knowledge,
                settings=config.knowledge,
                composer=build_composer(config, planning, usage=edges.usage, clock=clock),
            ),
            notes=database.notes,
            threads=database.threads,
        ),
        custom=config.planning.profiles.values(),
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
    return Domain(operations, turns, erasure, suggestions)


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
