"""The router's last resort before asking: an LLM picks the agent from the catalogue."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import KW_ONLY, dataclass

import structlog

from agents.kernel.errors import ProviderError
from agents.kernel.models import AgentInfo, Inbound
from agents.llm.chat import ChatMessage, ChatModel, ChatRequest, ToolSpec
from agents.llm.spending import Spending

__all__ = ["Classifier"]

log = structlog.get_logger(__name__)

_TOOL = "choose_agent"


@dataclass(frozen=True, slots=True)
class Classifier:
    """Asks one model to choose an agent; any failure or low confidence means "ask the person".

    Attributes:
        spending: where the calls' cost is recorded and the person's and channel's daily
            budgets checked (None: neither, for tests of the choice alone).
    """

    model: ChatModel
    _: KW_ONLY
    model_name: str
    spending: Spending | None = None

    async def classify(
        self,
        text: str,
        agents: Sequence[AgentInfo],
        *,
        threshold: float,
        inbound: Inbound | None = None,
    ) -> tuple[str, float] | None:
        """The agent's name and the model's confidence, or None when unsure, failing, or a
        budget of the asker's is spent (then no call is made)."""
        spending = self.spending if inbound is not None else None
        if spending is not None and inbound is not None:
            refused = await spending.over_budget(inbound)
            if refused is not None:
                log.info("route_classifier_skipped", reason=refused)
                return None
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
            model=self.model_name,
            messages=(
                ChatMessage("system", f"Route Slack messages to one of these agents:\n{catalogue}"),
                ChatMessage("user", text),
            ),
            tools=(tool,),
            max_tokens=128,
        )
        try:
            completion = await self.model.complete(request)
        except ProviderError as exc:
            log.warning("route_classifier_failed", kind=exc.kind)
            return None
        if spending is not None and inbound is not None:
            await spending.record(inbound, self.model.name, completion, fallback=request.model)
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
