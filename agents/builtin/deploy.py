"""Action agents: ``deploy`` and any agent declared in the config file with its own actions.

The planner (rules or LLM) turns a request into one of the agent's actions before this agent
is asked; the agent itself answers what is left: what it can do and how to ask.
"""

from __future__ import annotations

from agents.kernel.models import AgentInfo, Reply, ReplyItem
from agents.turns.agent import TurnContext

__all__ = ["DEPLOY_INFO", "ActionAgent"]

DEPLOY_INFO = AgentInfo(
    name="deploy",
    description="Deploys, rolls back, restarts, scales and reports the status of services.",
    keywords=("deploy", "rollback", "roll back", "restart", "scale", "release", "status"),
    examples=("deploy api to prod", "what version of web is running", "scale worker to 4"),
)


class ActionAgent:
    """Answers with the actions in its scope that the person may run, and their formats."""

    def __init__(self, info: AgentInfo) -> None:
        self.info = info

    async def handle(self, turn: TurnContext) -> Reply:
        """Say what this agent can do for the person (nothing matched one of its actions)."""
        name = self.info.name
        if not turn.scope:
            owner = f" Ask {self.info.owner} for access." if self.info.owner else ""
            return Reply(
                text=f"`{name}` has no actions you may run.{owner}",
                title=f"{name}",
            )
        items = tuple(
            ReplyItem(
                action.name,
                f"{action.description} — "
                + (" | ".join(f"`{fmt}`" for fmt in action.formats) or f"`{action.name}`")
                + (" (needs approval)" if action.needs_approval else ""),
            )
            for action in turn.scope
        )
        asked = turn.route.text.strip()
        intro = f"I did not recognise {asked!r} as one of my actions. " if asked else ""
        intro += f"`{name}` can run these for you:"
        lines = [f"• {item.label}: {item.detail}" for item in items]
        return Reply(text="\n".join([intro, *lines]), title=name, items=items)
