"""The OpenAI-compatible chat completions adapter (OpenAI, Azure's v1 API, vLLM, Ollama,
llama.cpp's server): only the standard fields of ``POST {base_url}/chat/completions``.

The official ``openai`` SDK builds and sends the request (timeout, retries, breaker and error
ladder are the shared :class:`~.provider.ProviderChatModel`'s); the answer's raw body is
validated here with pydantic, since the SDK accepts anything it is given. ``max_tokens`` is
sent rather than ``max_completion_tokens``: every compatible server knows it. A streamed call
sends the same request with ``stream=True`` and ``stream_options.include_usage`` (so the last
chunk carries the usage); its chunks are put together by :mod:`.openai_stream`.
"""

from __future__ import annotations

from typing import Literal

import httpx2
import openai
from openai.types.chat import (
    ChatCompletionAssistantMessageParam,
    ChatCompletionChunk,
    ChatCompletionFunctionToolParam,
    ChatCompletionMessageFunctionToolCallParam,
    ChatCompletionMessageParam,
)
from pydantic import BaseModel, Field

from agents.kernel.errors import ProviderError
from agents.llm.chat import (
    ChatMessage,
    ChatRequest,
    Completion,
    ToolCall,
    ToolSpec,
)
from bot.integrations.llm.answers import read_answer
from bot.integrations.llm.failures import SdkErrors
from bot.integrations.llm.openai_stream import ChunkAssembly, OpenAIUsage, openai_finish
from bot.integrations.llm.provider import EventStream, ProviderChatModel, SdkOptions

__all__ = ["OpenAIChatModel", "completion_from_openai", "openai_messages", "openai_tools"]

_Wire = tuple[list[ChatCompletionMessageParam], list[ChatCompletionFunctionToolParam]]


class _Function(BaseModel):
    name: str
    arguments: str


class _ToolCall(BaseModel):
    id: str
    type: Literal["function"] = "function"
    function: _Function


class _Message(BaseModel):
    content: str | None = None
    tool_calls: list[_ToolCall] | None = None


class _Choice(BaseModel):
    message: _Message
    finish_reason: str | None = None


class _ChatCompletion(BaseModel):
    """The fields of a chat completion we read (servers differ on the rest)."""

    model: str | None = None
    choices: list[_Choice] = Field(min_length=1)
    usage: OpenAIUsage | None = None


def openai_tools(tools: tuple[ToolSpec, ...]) -> list[ChatCompletionFunctionToolParam]:
    """Tool specs as ``function`` tools with JSON-schema parameters."""
    return [
        {
            "type": "function",
            "function": {
                "name": tool.name,
                "description": tool.description,
                "parameters": dict(tool.parameters),
            },
        }
        for tool in tools
    ]


def _assistant(message: ChatMessage) -> ChatCompletionAssistantMessageParam:
    if not message.tool_calls:
        return {"role": "assistant", "content": message.content}
    calls: list[ChatCompletionMessageFunctionToolCallParam] = [
        {
            "id": call.id,
            "type": "function",
            "function": {"name": call.name, "arguments": call.arguments},
        }
        for call in message.tool_calls
    ]
    return {"role": "assistant", "content": message.content or None, "tool_calls": calls}


def openai_messages(
    provider: str, messages: tuple[ChatMessage, ...]
) -> list[ChatCompletionMessageParam]:
    """The conversation in chat-completions form.

    Raises:
        ProviderError: ``bad_request`` for a ``tool`` message that answers no call.
    """
    wire: list[ChatCompletionMessageParam] = []
    for message in messages:
        if message.role == "system":
            wire.append({"role": "system", "content": message.content})
        elif message.role == "user":
            wire.append({"role": "user", "content": message.content})
        elif message.role == "assistant":
            wire.append(_assistant(message))
        else:
            if message.tool_call_id is None:
                raise ProviderError(provider, "bad_request", "a tool message needs tool_call_id")
            wire.append(
                {"role": "tool", "tool_call_id": message.tool_call_id, "content": message.content}
            )
    return wire


def completion_from_openai(provider: str, body: bytes, *, requested_model: str) -> Completion:
    """The completion in a raw response body.

    Raises:
        ProviderError: ``bad_response`` when the body is not a chat completion.
    """
    parsed = read_answer(provider, _ChatCompletion, body)
    choice = parsed.choices[0]
    calls = tuple(
        ToolCall(call.id, call.function.name, call.function.arguments)
        for call in choice.message.tool_calls or ()
    )
    return Completion(
        text=choice.message.content or "",
        tool_calls=calls,
        finish_reason=openai_finish(choice.finish_reason, called=bool(calls)),
        usage=(parsed.usage or OpenAIUsage()).tokens(),
        model=parsed.model or requested_model,
    )


class OpenAIChatModel(ProviderChatModel[openai.AsyncOpenAI, _Wire, ChatCompletionChunk]):
    """A :class:`~agents.llm.chat.ChatModel` speaking OpenAI-compatible chat completions."""

    kind = "openai"
    errors = SdkErrors.of(openai, root=openai.OpenAIError, http=httpx2)

    def _connect(self, options: SdkOptions) -> openai.AsyncOpenAI:
        return openai.AsyncOpenAI(**options)

    def _prepare(self, request: ChatRequest) -> _Wire:
        return openai_messages(self.name, request.messages), openai_tools(request.tools)

    async def _send(self, request: ChatRequest, wire: _Wire) -> bytes:
        messages, tools = wire
        raw = await self._client.chat.completions.with_raw_response.create(
            model=request.model,
            messages=messages,
            tools=tools or openai.omit,
            max_tokens=request.max_tokens,
            temperature=request.temperature,
        )
        return raw.http_response.content

    def _read(self, request: ChatRequest, body: bytes) -> Completion:
        return completion_from_openai(self.name, body, requested_model=request.model)

    async def _open_stream(
        self, request: ChatRequest, wire: _Wire
    ) -> EventStream[ChatCompletionChunk]:
        messages, tools = wire
        return await self._client.chat.completions.create(
            model=request.model,
            messages=messages,
            tools=tools or openai.omit,
            max_tokens=request.max_tokens,
            temperature=request.temperature,
            stream=True,
            stream_options={"include_usage": True},
        )

    def _assembly(self, request: ChatRequest) -> ChunkAssembly:
        return ChunkAssembly(self.name, requested_model=request.model)
