"""The chat-model port: what an LLM planner needs from a provider, in domain terms.

Adapters in ``bot/integrations/llm`` translate these values to and from a vendor's wire format
(OpenAI-compatible chat completions, Anthropic Messages). They own retries, timeouts and the
circuit breaker; every failure reaches the domain as :class:`agents.kernel.errors.ProviderError`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Literal, Protocol

__all__ = [
    "ChatMessage",
    "ChatModel",
    "ChatRequest",
    "Completion",
    "FinishReason",
    "Role",
    "TextSink",
    "ToolCall",
    "ToolSpec",
    "Usage",
]

Role = Literal["system", "user", "assistant", "tool"]
FinishReason = Literal["stop", "tool_calls", "length", "other"]


@dataclass(frozen=True, slots=True)
class ToolSpec:
    """A tool the model may call: one action of the agent, its parameters as JSON schema.

    Attributes:
        parameters: a JSON schema object (``{"type": "object", "properties": ...}``).
    """

    name: str
    description: str
    parameters: Mapping[str, object]


@dataclass(frozen=True, slots=True)
class ToolCall:
    """One tool call the model asked for.

    Attributes:
        id: the provider's id for the call; the tool result answers it.
        arguments: the raw JSON text the model produced (validated by the planner, not here).
    """

    id: str
    name: str
    arguments: str


@dataclass(frozen=True, slots=True)
class ChatMessage:
    """One message of the conversation sent to the model.

    Attributes:
        tool_calls: for ``assistant`` messages, the calls it made.
        tool_call_id: for ``tool`` messages, the call this result answers.
    """

    role: Role
    content: str
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str | None = None


@dataclass(frozen=True, slots=True)
class ChatRequest:
    """One call to a chat model."""

    model: str
    messages: tuple[ChatMessage, ...]
    tools: tuple[ToolSpec, ...] = ()
    max_tokens: int = 1024
    temperature: float = 0.0


@dataclass(frozen=True, slots=True)
class Usage:
    """Tokens a call consumed, as the provider reported them."""

    input_tokens: int = 0
    output_tokens: int = 0


@dataclass(frozen=True, slots=True)
class Completion:
    """The model's answer to one call.

    Attributes:
        text: the assistant's text (may be empty when it only called tools).
        model: the model that answered, as the provider named it.
    """

    text: str
    tool_calls: tuple[ToolCall, ...]
    finish_reason: FinishReason
    usage: Usage
    model: str


TextSink = Callable[[str], Awaitable[None]]
"""Receives each piece of an answer's text as the model writes it (a streamed answer)."""


class ChatModel(Protocol):
    """A configured provider: one base URL, one API key, its retry policy and breaker."""

    @property
    def name(self) -> str:
        """The provider's name in the config file (``openai``, ``local-vllm``)."""
        ...

    async def complete(
        self, request: ChatRequest, *, on_text: TextSink | None = None
    ) -> Completion:
        """Ask the model once (the adapter retries transient failures itself).

        With ``on_text`` the answer is streamed: every piece of its text is handed to
        ``on_text`` as it arrives, in order, and the whole completion is returned at the end
        (its ``text`` is the pieces joined). An adapter retries only before the first piece;
        a failure after it raises, so no text is handed over twice.

        Raises:
            ProviderError: the call failed for good, timed out, or the circuit is open.
        """
        ...
