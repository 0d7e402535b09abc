"""Operations: the actions capability assembled, one service per job.

``catalog`` (the actions and who may request them), ``proposals`` (a request becomes a card,
a question or a run), ``decisions`` (clicks on a card, checked server-side), ``runs`` (the
worker: expiry, and each approved job run exactly once) and ``reads`` (a turn runs a read and
waits for its result). They share one
:class:`~agents.actions.transitions.Transitions`, so every change of an approval is applied
compare-and-set, audited and announced the same way. Slack is reached only through the
``ApprovalNotifier`` port; executors' resolved targets (for the canonical action and its
digest) through the ``TargetResolver`` port.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass

from agents.actions.canonical import TargetResolver
from agents.actions.catalog import ActionCatalog
from agents.actions.decisions import Decisions
from agents.actions.execution import Executor
from agents.actions.finished import FinishedRuns
from agents.actions.ports import ApprovalNotifier, GroupDirectory
from agents.actions.proposals import Proposals
from agents.actions.read_cache import ReadCache
from agents.actions.reads import TurnReads
from agents.actions.runs import Runs
from agents.actions.scopes import AgentScopes
from agents.actions.spec import ActionSpec
from agents.actions.transitions import OperationStores, Transitions
from agents.kernel.clock import Clock

__all__ = ["OperationStores", "Operations", "build_operations"]


@dataclass(frozen=True, slots=True)
class Operations:
    """The services of the actions capability, built over one set of ports."""

    catalog: ActionCatalog
    proposals: Proposals
    decisions: Decisions
    runs: Runs
    reads: TurnReads


def build_operations(
    actions: Sequence[ActionSpec],
    *,
    stores: OperationStores,
    groups: GroupDirectory,
    executors: Mapping[str, Executor],
    targets: TargetResolver,
    notifier: ApprovalNotifier,
    clock: Clock,
    read_cache: ReadCache | None = None,
    refresh: Callable[[ActionSpec], Awaitable[None]] | None = None,
    scopes: AgentScopes | None = None,
) -> Operations:
    """Propose, approve and run ``actions`` over these ports (``refresh``: brings ``targets``
    up to date right before an action runs; ``scopes``: which agent may use which action,
    checked when a request is admitted and again before its run)."""
    catalog = ActionCatalog(actions, groups=groups)
    transitions = Transitions(stores, notifier=notifier, clock=clock)
    proposals = Proposals(
        catalog, transitions, clock=clock, targets=targets, read_cache=read_cache, scopes=scopes
    )
    board = FinishedRuns()
    runs = Runs(
        catalog,
        transitions,
        executors=executors,
        clock=clock,
        targets=targets,
        read_cache=read_cache,
        board=board,
        refresh=refresh,
        scopes=scopes,
    )
    return Operations(
        catalog=catalog,
        proposals=proposals,
        decisions=Decisions(catalog, transitions, targets=targets),
        runs=runs,
        reads=TurnReads(proposals, runs, board, clock=clock),
    )
