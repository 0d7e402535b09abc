"""Step: a reply in a thread where the bot asked for a missing parameter completes the action.

Only the person who asked completes their action: no one else's answer makes them the
requester of something they may then approve.
"""

from __future__ import annotations

from dataclasses import dataclass

from agents.actions.catalog import ActionCatalog
from agents.actions.proposals import Proposals
from agents.kernel.models import Reply, Route
from agents.turns.pipeline import TurnState
from agents.turns.plan import Plan
from agents.turns.ports import TurnReplies

__all__ = ["ContinuePending"]


@dataclass(frozen=True, slots=True)
class ContinuePending:
    """Continues the question the bot's last reply in the thread left open."""

    replies: TurnReplies
    catalog: ActionCatalog
    proposals: Proposals

    async def __call__(self, turn: TurnState) -> None:
        """Answer the open question with this message, if the thread has one for its asker."""
        inbound, routed = turn.inbound, turn.route
        continues = inbound.thread_ts is not None and not (
            inbound.source == "mention" and inbound.thread_ts == inbound.ts
        )  # a mention at top level starts a new thread: nothing pending there
        if routed.reason == "explicit" or not continues:
            return
        previous = await self.replies.latest_reply(inbound.conversation)
        pending = previous.reply.pending if previous is not None else None
        if pending is None:
            return
        owner = self.catalog.action(pending.action)
        # An MCP tool reachable by scope only has no owner: the turn stays with the router's.
        agent = owner.agent if owner is not None and owner.agent else routed.agent
        route = Route(agent, "pending", 1.0, routed.text)
        if pending.requester not in ("", inbound.user_id):
            waiting = Reply(
                text=f"I am waiting for <@{pending.requester}> to answer that.",
                pending=pending,  # keep the question open for them
            )
            turn.answer(waiting, route=route)
            return
        reply = await self.proposals.fill(inbound, pending)
        if reply is not None:
            turn.answer(reply, route=route, plan=Plan("rules"))
