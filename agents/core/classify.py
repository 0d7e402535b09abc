"""The router's last resort before asking: an LLM picks the agent from the catalogue."""

from __future__ import annotations

import json
from collections.abc import Sequence

import structlog

from agents.core.errors import ProviderError
from agents.core.llm import ChatMessage, ChatModel, ChatRequest, ToolSpec
from agents.core.models import AgentInfo

__all__ = ["Classifier"]

log = structlog.get_logger(__name__)

_TOOL = "choose_agent"


class Classifier:
    """Asks one model to choose an agent; any failure or low confidence means "ask the person"."""

    def __init__(self, model: ChatModel, *, model_name: str) -> None:
        self._model = model
        self._model_name = model_name

    async def classify(
        self, text: str, agents: Sequence[AgentInfo], *, threshold: float
    ) -> tuple[str, float] | None:
        """The agent's name and the model's confidence, or None when unsure or failing."""
        names = [agent.name for agent in agents]
        catalogue = "\n".join(f"- {a.name}: {a.description}" for a in agents)
        tool = ToolSpec(
            name=_TOOL,
            description="Choose the agent that should answer the message.",
            parameters={
                "type": "object",
                "properties": {
                    "agent": {"type": "string", "enum": names},
                    "confidence": {"type": "number", "minimum": 0, "maximum": 1},
                },
                "required": ["agent", "confidence"],
                "additionalProperties": False,
            },
        )
        request = ChatRequest(
            model=self._model_name,
            messages=(
                ChatMessage("system", f"Route Slack messages to one of these agents:\n{catalogue}"),
                ChatMessage("user", text),
            ),
            tools=(tool,),
            max_tokens=128,
        )
        try:
            completion = await self._model.complete(request)
        except ProviderError as exc:
            log.warning("route_classifier_failed", kind=exc.kind)
            return None
        for call in completion.tool_calls:
            if call.name != _TOOL:
                continue
            try:
                arguments = json.loads(call.arguments)
                agent, confidence = str(arguments["agent"]), float(arguments["confidence"])
            except (ValueError, KeyError, TypeError):
                return None
            if agent in names and confidence >= threshold:
                return agent, min(confidence, 1.0)
        return None
