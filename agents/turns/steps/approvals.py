"""Step: ``/ops approvals`` lists the requests waiting on the person (or made by them)."""

from __future__ import annotations

from dataclasses import KW_ONLY, dataclass, replace

from agents.actions.catalog import ActionCatalog
from agents.actions.decisions import Decisions
from agents.turns.pipeline import TurnState
from agents.turns.ports import ApprovalsView

__all__ = ["ListApprovals"]


@dataclass(frozen=True, slots=True)
class ListApprovals:
    """Answers ``/ops approvals`` under the fallback agent, worded by the edge."""

    catalog: ActionCatalog
    decisions: Decisions
    _: KW_ONLY
    view: ApprovalsView
    fallback: str

    async def __call__(self, turn: TurnState) -> None:
        """Answer a slash command whose first word is ``approvals``; pass anything else on."""
        inbound = turn.inbound
        if inbound.source != "command" or turn.route.text.split()[:1] != ["approvals"]:
            return
        person = await self.catalog.person(inbound.user_id, inbound.channel_id)
        waiting = await self.decisions.pending_for(person, team_id=inbound.team_id)
        route = replace(turn.route, agent=self.fallback, reason="explicit")
        turn.answer(self.view.pending(waiting), route=route)
