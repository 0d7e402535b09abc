"""Step: the answer. A proposed action goes to policy and approval; a planner's text is the
reply; otherwise the routed agent answers the turn itself. A reply a lesser planner answered
says so in a note. The answer is grounded (:mod:`agents.turns.grounding`): it carries the
record of what its tool calls came to, and a model's claim the records do not back is
marked."""

from __future__ import annotations

from dataclasses import replace

from agents.actions.proposals import Proposals, Requested
from agents.kernel.models import Reply
from agents.turns.agent import TurnContext
from agents.turns.catalog import AgentCatalog
from agents.turns.claims import ActionVerbs
from agents.turns.grounding import ground
from agents.turns.pipeline import Scope, TurnState
from agents.turns.plan import degraded_note

__all__ = ["Answer"]


class Answer:
    """Turns the plan into the reply."""

    def __init__(self, agents: AgentCatalog, *, proposals: Proposals | None = None) -> None:
        self._agents = agents
        self._proposals = proposals

    async def __call__(self, turn: TurnState) -> None:
        """Propose the planned action, post the planned text, or let the agent answer."""
        plan, scope = turn.plan, turn.scope or Scope(self._agents.profile(turn.route.agent))
        reply: Reply
        requested: Requested | None = None
        if plan.proposal is not None and self._proposals is not None:
            proposal = plan.proposal
            await turn.progress.status(f"is preparing `{proposal.action.name}`…")
            turn.stop.check()  # stopped before proposing: nothing is proposed
            # Not raced: once proposing starts, the card is a person's to decide.
            requested = await self._proposals.request(
                turn.inbound,
                action=proposal.action,
                raw=proposal.values,
                agent=scope.profile.info.name,
            )
            reply = requested.reply
        elif plan.text is not None:
            reply = Reply(text=plan.text)
        else:
            context = TurnContext(
                inbound=turn.inbound,
                route=turn.route,
                catalog=self._agents.infos,
                actions=scope.runnable,
                scope=scope.offered,
                progress=turn.progress,
                stop=turn.stop,
            )
            reply = await self._agents.agent(scope.profile.info.name).handle(context)
        if plan.degraded is not None:
            reply = replace(reply, note=degraded_note(plan.degraded))
        model_text = plan.text if plan.planner == "llm" and requested is None else reply.composed
        verbs = ActionVerbs.of((*scope.usable, *scope.runnable))
        reply, plan = ground(plan, reply, requested=requested, model_text=model_text, verbs=verbs)
        turn.answer(reply, plan=plan)
