"""Steps: when the router is unsure, an LLM classifier may settle it; else the person picks.

The ask-back reply offers the candidate agents as buttons; only the asker may choose, and the
choice re-routes the message they asked.
"""

from __future__ import annotations

from dataclasses import KW_ONLY, dataclass

from agents.kernel.models import AgentInfo, Reply, Route
from agents.turns.classify import Classifier
from agents.turns.pipeline import TurnState

__all__ = ["AskBack", "Classify"]


@dataclass(frozen=True, slots=True)
class Classify:
    """Asks the router's classifier about an ``ask`` decision; a confident answer re-routes."""

    classifier: Classifier
    _: KW_ONLY
    agents: tuple[AgentInfo, ...]
    threshold: float

    async def __call__(self, turn: TurnState) -> None:
        """Replace an unsure route with the classifier's confident choice, if any."""
        if turn.route.reason != "ask":
            return
        text = turn.route.text
        chosen = await self.classifier.classify(
            text, self.agents, threshold=self.threshold, inbound=turn.inbound
        )
        if chosen is not None:
            name, confidence = chosen
            turn.route = Route(name, "llm", round(confidence, 3), text)


class AskBack:
    """Answers a still-unsure route by asking which agent was meant, with buttons."""

    async def __call__(self, turn: TurnState) -> None:
        """Ask the person to pick among the router's candidates."""
        route = turn.route
        if route.reason != "ask":
            return
        names = ", ".join(f"*{name}*" for name in route.candidates)
        turn.answer(
            Reply(
                text=f"I am not sure which agent you meant: {names}? Pick one below.",
                choices=route.candidates,
                asked=route.text,
                asked_by=turn.inbound.user_id,
            )
        )
