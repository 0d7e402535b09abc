"""A scripted ChatModel for domain tests: answers from a queue, records every request."""

from __future__ import annotations

import json
from collections.abc import Callable

from agents.kernel.errors import ProviderError, ProviderFailure
from agents.llm.chat import ChatRequest, Completion, TextSink, ToolCall, Usage

Step = Completion | ProviderError | Callable[[ChatRequest], Completion]


def said(text: str, *, tokens: tuple[int, int] = (100, 20), model: str = "m1") -> Completion:
    """A plain text answer."""
    return Completion(text, (), "stop", Usage(*tokens), model)


def called(
    name: str,
    arguments: dict[str, object] | str,
    *,
    call_id: str = "call_1",
    tokens: tuple[int, int] = (100, 20),
    model: str = "m1",
) -> Completion:
    """One tool call (``arguments`` as a dict, or raw text for malformed JSON)."""
    raw = arguments if isinstance(arguments, str) else json.dumps(arguments)
    return Completion("", (ToolCall(call_id, name, raw),), "tool_calls", Usage(*tokens), model)


def failing(provider: str, kind: ProviderFailure = "server") -> ProviderError:
    """A provider failure as the adapter raises it after its retries."""
    return ProviderError(provider, kind, "scripted failure")


class ScriptedModel:
    """A ChatModel whose answers are scripted; ``always`` answers every call the same way."""

    def __init__(self, name: str, *steps: Step, always: Step | None = None) -> None:
        self._name = name
        self.steps = list(steps)
        self.always = always
        self.requests: list[ChatRequest] = []
        self.piece_size = 5  # a streamed answer arrives in pieces of this many characters

    @property
    def name(self) -> str:
        return self._name

    async def complete(
        self, request: ChatRequest, *, on_text: TextSink | None = None
    ) -> Completion:
        self.requests.append(request)
        step = self.steps.pop(0) if self.steps else self.always
        if step is None:
            raise AssertionError(f"{self._name}: script exhausted")
        if isinstance(step, ProviderError):
            raise step
        completion = step(request) if callable(step) else step
        if on_text is not None:
            for piece in _pieces(completion.text, self.piece_size):
                await on_text(piece)
        return completion


def _pieces(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]
