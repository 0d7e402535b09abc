"""Step: the routed agent's planner makes a plan (its model's, or the rules planner's).

An agent with a model and actions in scope plans with the LLM planner (which falls back to
rules by itself); any other agent's turn is planned by rules over its actions. A channel-bound
agent that has nothing for the message hands it off through the router (one hop). A command
of an action with no owner (an MCP tool reachable by agent scopes only) outside the routed
agent's scope is refused by name, and recorded as ``ACTION:refused_scope``.
"""

from __future__ import annotations

from dataclasses import KW_ONLY, dataclass, field

import structlog

from agents.actions.catalog import ActionCatalog
from agents.turns.catalog import AgentCatalog, usable_actions
from agents.turns.claims import ActionVerbs
from agents.turns.grounding import ClaimGate
from agents.turns.llm_planner import LlmPlanner
from agents.turns.pipeline import Scope, TurnState
from agents.turns.plan import Plan, PlanInput
from agents.turns.ports import ReadTools
from agents.turns.recall import Recall
from agents.turns.router import Router
from agents.turns.rules import RulesPlanner

__all__ = ["ModelPlanning", "PlanTurn"]

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class ModelPlanning:
    """The LLM planner, what it is shown of the past, and the reads it may run within a
    turn (None: a read is proposed like any action), for agents with a model."""

    planner: LlmPlanner
    recall: Recall
    reads: ReadTools | None = None


@dataclass(frozen=True, slots=True)
class PlanTurn:
    """Sets the turn's scope and plan; hands a bound channel's unplanned message off once."""

    agents: AgentCatalog
    _: KW_ONLY
    router: Router
    actions: ActionCatalog | None = None
    models: ModelPlanning | None = None
    rules: RulesPlanner = field(default_factory=RulesPlanner)

    async def __call__(self, turn: TurnState) -> None:
        """Plan the turn; a binding whose agent had nothing for it is re-routed and re-planned."""
        await self._plan(turn)
        route = turn.route
        if turn.plan.empty and route.reason == "binding":
            other = self.router(turn.inbound, route.text, channel_id="")
            if other.agent != route.agent and other.reason not in ("ask", "fallback"):
                log.info("turn_handed_off", agent=route.agent, to=other.agent)
                turn.route = other
                await self._plan(turn)
        if turn.plan.empty:
            turn.plan = self._out_of_scope(turn) or turn.plan

    def _out_of_scope(self, turn: TurnState) -> Plan | None:
        """The refusal of a command of an ownerless action the routed agent may not use
        (rather than the agent saying it did not recognise it), or None."""
        scope = turn.scope
        if self.actions is None or scope is None:
            return None
        found = self.actions.match(turn.route.text)
        # Only a tool reachable by scope alone (no owner): an owned action is its owner's to
        # plan, and the routed agent's own handler may read the words as its own command.
        if found is None or found.action.agent or found.action in scope.usable:
            return None
        name, agent = found.action.name, turn.route.agent
        log.info("action_out_of_scope", action=name, agent=agent)
        return Plan(
            "rules",
            text=f"`{name}` is not in the scope of agent `{agent}`, so it was not run.",
            tool_calls=(f"{name}:refused_scope",),
        )

    async def _plan(self, turn: TurnState) -> None:
        scope = await self._scope(turn)
        route = turn.route
        plan: Plan
        if scope.profile.model is not None and self.models is not None and scope.usable:
            # An agent without actions (knowledge, oncall...) answers itself; its model, if
            # any, is its own business (the knowledge agent composes from runbooks with it).
            plan = await self._model_plan(turn, scope, self.models)
        else:
            plan = self.rules.plan(route.text, scope.usable)
        turn.scope, turn.plan = scope, plan

    @staticmethod
    async def _model_plan(turn: TurnState, scope: Scope, models: ModelPlanning) -> Plan:
        route = turn.route
        await turn.progress.status("is reading the thread…")
        past = await turn.stop.race(models.recall.recall(turn.inbound, route, scope.profile))
        await turn.progress.status("is thinking…")
        # The model's words stream only while they claim nothing (grounded answers).
        gate = ClaimGate(turn.progress.text, ActionVerbs.of((*scope.usable, *scope.runnable)))
        planned = models.planner.plan(
            PlanInput(
                turn.inbound,
                route.agent,
                route.text,
                scope.profile,
                scope.offered,
                past.thread.messages,
                past.notes,
                past.thread.summary,
                past.thread.facts,
                on_text=gate.text,
                viewing=past.viewing,
                reads=models.reads,
            )
        )
        plan = await turn.stop.race(planned)  # Stop cancels the model call at once
        await gate.finish()
        return plan

    async def _scope(self, turn: TurnState) -> Scope:
        profile = self.agents.profile(turn.route.agent)
        if self.actions is None:
            return Scope(profile)
        inbound = turn.inbound
        person = await self.actions.person(inbound.user_id, inbound.channel_id)
        return Scope(
            profile,
            runnable=self.actions.runnable_by(person),
            usable=usable_actions(profile, self.actions.actions),
        )
