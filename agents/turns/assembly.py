"""The turn assembled: the router, then the named steps in the order they run.

::

    RateLimit -> ListApprovals -> ContinuePending -> Classify -> AskBack -> PlanTurn -> Answer

A step whose capability is not configured (no rate limit, no actions, no classifier) is left
out; ``AskBack``, ``PlanTurn`` and ``Answer`` are always there.
"""

from __future__ import annotations

from collections.abc import Sequence

from agents.actions.operations import Operations
from agents.kernel.clock import Clock
from agents.turns.agent import Agent
from agents.turns.catalog import AgentCatalog
from agents.turns.classify import Classifier
from agents.turns.llm_planner import LlmPlanner
from agents.turns.pipeline import Step
from agents.turns.ports import ApprovalsView, RateLimiter
from agents.turns.profiles import PlanningSettings
from agents.turns.recall import Memory, Recall
from agents.turns.router import Router
from agents.turns.steps.answer import Answer
from agents.turns.steps.approvals import ListApprovals
from agents.turns.steps.choice import AskBack, Classify
from agents.turns.steps.limits import RateLimit
from agents.turns.steps.pending import ContinuePending
from agents.turns.steps.planner import ModelPlanning, PlanTurn
from agents.turns.suggestions import Suggestions
from agents.turns.turns import Turns, TurnStores

__all__ = ["Memory", "build_turns", "turn_steps"]


def build_turns(
    agents: Sequence[Agent],
    *,
    fallback: str,
    stores: TurnStores,
    clock: Clock,
    planning: PlanningSettings | None = None,
    operations: Operations | None = None,
    approvals_view: ApprovalsView | None = None,
    llm: LlmPlanner | None = None,
    memory: Memory | None = None,
    classifier: Classifier | None = None,
    rate_limiter: RateLimiter | None = None,
) -> Turns:
    """The turn service over these agents and whatever capabilities are configured.

    Raises:
        ConfigError: duplicate agent names, an unknown fallback, or a profile for an agent
            nobody registered.
        ValueError: an LLM planner without ``memory``.
    """
    planning = planning or PlanningSettings()
    catalog = AgentCatalog(agents, fallback=fallback, profiles=planning.profiles)
    router = Router(
        catalog.infos,
        fallback,
        actions=(lambda: operations.catalog.actions) if operations is not None else (),
        threshold=planning.router.threshold,
    )
    models = None
    if llm is not None:
        if memory is None:
            raise ValueError("an LLM planner needs the conversation's memory (memory=...)")
        recall = Recall(memory, llm=llm, clock=clock)
        models = ModelPlanning(
            llm, recall, reads=operations.reads if operations is not None else None
        )
    steps = turn_steps(
        catalog,
        router,
        stores=stores,
        clock=clock,
        planning=planning,
        operations=operations,
        approvals_view=approvals_view,
        models=models,
        classifier=classifier,
        rate_limiter=rate_limiter,
    )
    return Turns(router, steps, stores=stores, clock=clock)


def turn_steps(
    agents: AgentCatalog,
    router: Router,
    *,
    stores: TurnStores,
    clock: Clock,
    planning: PlanningSettings,
    operations: Operations | None,
    approvals_view: ApprovalsView | None,
    models: ModelPlanning | None,
    classifier: Classifier | None,
    rate_limiter: RateLimiter | None,
) -> tuple[Step, ...]:
    """The steps of a turn, in order, for what is configured."""
    steps: list[Step] = []
    budgets = planning.budgets
    if rate_limiter is not None and budgets.rate_capacity is not None:
        steps.append(
            RateLimit(
                rate_limiter,
                capacity=budgets.rate_capacity,
                refill_per_second=budgets.rate_refill_per_second,
                clock=clock,
            )
        )
    if operations is not None:
        if approvals_view is not None:
            steps.append(
                ListApprovals(
                    operations.catalog,
                    operations.decisions,
                    view=approvals_view,
                    fallback=agents.fallback,
                )
            )
        steps.append(ContinuePending(stores.replies, operations.catalog, operations.proposals))
    if classifier is not None:
        steps.append(Classify(classifier, agents=agents.infos, threshold=planning.router.threshold))
    steps.append(AskBack())
    steps.append(
        PlanTurn(
            agents,
            router=router,
            actions=operations.catalog if operations is not None else None,
            models=models,
        )
    )
    steps.append(Answer(agents, proposals=operations.proposals if operations is not None else None))
    return tuple(steps)


def build_suggestions(
    agents: Sequence[Agent],
    *,
    fallback: str,
    planning: PlanningSettings | None = None,
    operations: Operations | None = None,
) -> Suggestions:
    """The suggested prompts over the same agents and actions as :func:`build_turns`."""
    planning = planning or PlanningSettings()
    catalog = AgentCatalog(agents, fallback=fallback, profiles=planning.profiles)
    return Suggestions(catalog, operations.catalog if operations is not None else None)
