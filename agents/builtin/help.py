"""The ``help`` agent: what Switchboard can do, and the fallback when nothing else matches."""

from __future__ import annotations

from agents.kernel.models import AgentInfo, Reply, ReplyItem
from agents.turns.agent import TurnContext

__all__ = ["HelpAgent"]


class HelpAgent:
    """Lists the agents, and the actions the asking person may run."""

    info = AgentInfo(
        name="help",
        description="Lists what Switchboard can do and how to ask for it.",
        keywords=("help", "commands", "usage"),
    )

    async def handle(self, turn: TurnContext) -> Reply:
        """Answer with the agents and the person's runnable actions; say when nothing matched."""
        items = [ReplyItem(agent.name, agent.description) for agent in turn.catalog]
        for action in turn.actions:
            usage = " | ".join(f"`{fmt}`" for fmt in action.formats) or f"`{action.name}`"
            approval = "needs approval" if action.needs_approval else "runs at once"
            items.append(
                ReplyItem(f"/ops {action.name}", f"{action.description} — {usage} ({approval})")
            )
        intro = "Here is what I can do. Address an agent with `name: request` or `/ops name`."
        if turn.actions:
            intro += " Actions you may run are listed with their command formats."
        asked = turn.route.text
        if turn.route.reason == "fallback" and asked and asked.lower() not in {"help", "?"}:
            intro = f"I did not find an agent for {asked!r}. " + intro
        lines = [f"• {item.label}: {item.detail}" for item in items]
        return Reply(text="\n".join([intro, *lines]), title="Switchboard help", items=tuple(items))
