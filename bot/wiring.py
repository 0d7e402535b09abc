"""The domain wired over a database: operations and the facade with the built-in agents.

``Runtime.create`` and the evaluation replay build the same domain; only the edges differ
(Slack or recorders, metered or plain stores), so they hand those in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from agents.actions.execution import Executor
from agents.actions.operations import Operations, OperationStores
from agents.actions.ports import ApprovalNotifier, GroupDirectory
from agents.actions.read_cache import ReadCache
from agents.incidents.ports import Workspace
from agents.kernel.clock import Clock
from agents.llm.usage import UsageStore
from agents.registry import FALLBACK_AGENT, builtin_agents
from agents.turns.agent import AgentDeps
from agents.turns.facade import Stores, Switchboard
from agents.turns.ports import RateLimiter, TurnLedger
from bot.config_file import LoadedConfig
from bot.planning_wiring import Planning, build_composer
from storage import Database

__all__ = ["Edges", "build_domain"]


@dataclass(frozen=True, slots=True)
class Edges:
    """What reaches outside the domain: Slack (or recorders), executors, the stores that are
    decorated (metered ledger and usage), and the rate limiter (None: no limit)."""

    workspace: Workspace
    groups: GroupDirectory
    executors: Mapping[str, Executor]
    notifier: ApprovalNotifier
    ledger: TurnLedger
    usage: UsageStore
    rate_limiter: RateLimiter | None


def build_domain(
    config: LoadedConfig,
    database: Database,
    planning: Planning,
    edges: Edges,
    *,
    clock: Clock,
) -> tuple[Operations, Switchboard]:
    """Operations over the configured actions and the facade over the built-in agents."""
    operations = Operations(
        config.actions,
        stores=OperationStores(
            approvals=database.approvals, jobs=database.jobs, audit=database.audit
        ),
        groups=edges.groups,
        executors=edges.executors,
        notifier=edges.notifier,
        clock=clock,
        read_cache=(
            ReadCache(clock=clock, ttl=config.read_cache_ttl)
            if config.read_cache_ttl is not None
            else None
        ),
    )
    deps = AgentDeps(
        clock=clock,
        workspace=edges.workspace,
        incidents=database.incidents,
        rotations=config.rotations,
        incident_settings=config.incident_settings,
        notes=database.notes,
        threads=database.threads,
        knowledge=database.knowledge,
        knowledge_settings=config.knowledge,
        composer=build_composer(config, planning, usage=edges.usage, clock=clock),
    )
    switchboard = Switchboard(
        builtin_agents(deps, custom=config.planning.profiles.values()),
        fallback=FALLBACK_AGENT,
        stores=Stores(
            events=database.events,
            conversations=database.conversations,
            traces=database.traces,
            ledger=edges.ledger,
            locks=database.locks,
        ),
        clock=clock,
        operations=operations,
        planning=config.planning,
        llm=planning.llm,
        rate_limiter=edges.rate_limiter,
        classifier=planning.classifier,
        notes=database.notes,
        threads=database.threads,
    )
    return operations, switchboard
