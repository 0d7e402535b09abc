"""Answers composed by a model from retrieved runbook sections only (knowledge agent).

The model sees the question and the numbered sections, and is told to answer from them alone
and to say so when they do not answer it. Its usage is recorded like any model call. Any
provider failure returns None: the agent then quotes the sections instead.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import structlog

from agents.kernel.clock import Clock
from agents.kernel.errors import ProviderError
from agents.kernel.models import Inbound
from agents.llm.budgets import Budgets, Price
from agents.llm.chat import ChatMessage, ChatModel, ChatRequest
from agents.llm.spending import Spending
from agents.llm.usage import UsageStore
from agents.memory.knowledge import Hit

__all__ = ["Composer"]

log = structlog.get_logger(__name__)

_INSTRUCTIONS = (
    "Answer the question using only the numbered runbook excerpts below. Cite the excerpts "
    "you use as [1], [2]. If they do not answer the question, say exactly: NOT IN RUNBOOKS. "
    "Never add steps that are not in the excerpts."
)
NOT_FOUND = "NOT IN RUNBOOKS"


class Composer:
    """One model (the knowledge agent's first provider) writing answers from excerpts."""

    def __init__(
        self,
        model: ChatModel,
        *,
        model_name: str,
        usage: UsageStore,
        prices: Mapping[tuple[str, str], Price],
        clock: Clock,
        agent: str = "knowledge",
    ) -> None:
        self._model = model
        self._model_name = model_name
        self._spending = Spending(usage, prices=prices, budgets=Budgets(), clock=clock)
        self._agent = agent

    async def compose(self, inbound: Inbound, question: str, hits: Sequence[Hit]) -> str | None:
        """The model's answer, ``""`` when it says the excerpts do not answer, None on failure."""
        excerpts = "\n\n".join(
            f"[{n}] {hit.chunk.source}: {hit.chunk.heading}\n{hit.chunk.text}"
            for n, hit in enumerate(hits, start=1)
        )
        request = ChatRequest(
            model=self._model_name,
            messages=(
                ChatMessage("system", f"{_INSTRUCTIONS}\n\n{excerpts}"),
                ChatMessage("user", question),
            ),
            max_tokens=600,
        )
        try:
            completion = await self._model.complete(request)
        except ProviderError as exc:
            log.warning("knowledge_compose_failed", provider=exc.provider, kind=exc.kind)
            return None
        await self._spending.record(
            inbound, self._model.name, completion, fallback=self._model_name, agent=self._agent
        )
        text = completion.text.strip()
        return "" if NOT_FOUND in text else text
