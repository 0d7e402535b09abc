"""The ``help`` agent: what Switchboard can do, and the fallback when nothing else matches."""

from __future__ import annotations

from agents.core.agent import TurnContext
from agents.core.models import AgentInfo, Reply, ReplyItem

__all__ = ["HelpAgent"]


class HelpAgent:
    """Lists the agents and how to reach them."""

    info = AgentInfo(
        name="help",
        description="Lists what Switchboard can do and how to ask for it.",
        keywords=("help", "commands", "usage"),
    )

    async def handle(self, turn: TurnContext) -> Reply:
        """Answer with the list of agents; say so when the words matched nothing."""
        items = tuple(ReplyItem(agent.name, agent.description) for agent in turn.catalog)
        lines = [f"• {item.label}: {item.detail}" for item in items]
        intro = "Here is what I can do. Address an agent with `name: request` or `/ops name`."
        asked = turn.route.text
        if turn.route.reason == "fallback" and asked and asked.lower() not in {"help", "?"}:
            intro = f"I did not find an agent for {asked!r}. " + intro
        return Reply(text="\n".join([intro, *lines]), title="Switchboard help", items=items)
