"""Steps: when the router is unsure, an LLM classifier may settle it; else the person picks.

The ask-back reply offers the candidate agents as buttons; only the asker may choose, and the
choice re-routes the message they asked.
"""

from __future__ import annotations

from agents.kernel.models import AgentInfo, Reply, Route
from agents.turns.classify import Classifier
from agents.turns.pipeline import TurnState

__all__ = ["AskBack", "Classify"]


class Classify:
    """Asks the router's classifier about an ``ask`` decision; a confident answer re-routes."""

    def __init__(
        self, classifier: Classifier, *, agents: tuple[AgentInfo, ...], threshold: float
    ) -> None:
        self._classifier = classifier
        self._agents = agents
        self._threshold = threshold

    async def __call__(self, turn: TurnState) -> None:
        """Replace an unsure route with the classifier's confident choice, if any."""
        if turn.route.reason != "ask":
            return
        text = turn.route.text
        chosen = await self._classifier.classify(
            text, self._agents, threshold=self._threshold, inbound=turn.inbound
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
