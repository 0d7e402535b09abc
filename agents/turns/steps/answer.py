"""Step: the answer. A proposed action goes to policy and approval; a planner's text is the
reply; otherwise the routed agent answers the turn itself. A reply a lesser planner answered
says so in a note."""

from __future__ import annotations

from dataclasses import replace

from agents.actions.proposals import Proposals
from agents.kernel.models import Reply
from agents.turns.agent import TurnContext
from agents.turns.catalog import AgentCatalog
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
        if plan.proposal is not None and self._proposals is not None:
            proposal = plan.proposal
            await turn.progress.status(f"is preparing `{proposal.action.name}`…")
            turn.stop.check()  # stopped before proposing: nothing is proposed
            # Not raced: once proposing starts, the card is a person's to decide.
            reply = await self._proposals.propose(
                turn.inbound, action=proposal.action, raw=proposal.values
            )
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
        turn.answer(reply)
