"""Step: ``/ops approvals`` lists the requests waiting on the person (or made by them)."""

from __future__ import annotations

from dataclasses import replace

from agents.actions.catalog import ActionCatalog
from agents.actions.decisions import Decisions
from agents.turns.pipeline import TurnState
from agents.turns.ports import ApprovalsView

__all__ = ["ListApprovals"]


class ListApprovals:
    """Answers ``/ops approvals`` under the fallback agent, worded by the edge."""

    def __init__(
        self,
        catalog: ActionCatalog,
        decisions: Decisions,
        *,
        view: ApprovalsView,
        fallback: str,
    ) -> None:
        self._catalog = catalog
        self._decisions = decisions
        self._view = view
        self._fallback = fallback

    async def __call__(self, turn: TurnState) -> None:
        """Answer a slash command whose first word is ``approvals``; pass anything else on."""
        inbound = turn.inbound
        if inbound.source != "command" or turn.route.text.split()[:1] != ["approvals"]:
            return
        person = await self._catalog.person(inbound.user_id, inbound.channel_id)
        waiting = await self._decisions.pending_for(person, team_id=inbound.team_id)
        route = replace(turn.route, agent=self._fallback, reason="explicit")
        turn.answer(self._view.pending(waiting), route=route)
