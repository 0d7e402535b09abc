"""The OpenAI-compatible chat completions adapter (OpenAI, Azure's v1 API, vLLM, Ollama,
llama.cpp's server): only the standard fields of ``POST {base_url}/chat/completions``.

The official ``openai`` SDK builds and sends the request (its own retries off: ours are the
policy of :mod:`.retry`); the answer's raw body is validated here with pydantic, since the
SDK accepts anything it is given. ``max_tokens`` is sent rather than ``max_completion_tokens``:
every compatible server knows it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Literal

import openai
from openai.types.chat import (
    ChatCompletionAssistantMessageParam,
    ChatCompletionFunctionToolParam,
    ChatCompletionMessageFunctionToolCallParam,
    ChatCompletionMessageParam,
)
from pydantic import BaseModel, Field, ValidationError

from agents.core.errors import ProviderError
from agents.core.llm import (
    ChatMessage,
    ChatRequest,
    Completion,
    FinishReason,
    ToolCall,
    ToolSpec,
    Usage,
)
from bot.integrations.llm.calls import CallGuard
from bot.integrations.llm.failures import (
    connection_failed,
    invalid_response,
    status_failed,
    timed_out,
)
from bot.integrations.llm.settings import KEYLESS, ProviderSettings
from bot.integrations.resilience import Sleep

__all__ = ["OpenAIChatModel", "completion_from_openai", "openai_messages", "openai_tools"]

_FINISH: dict[str, FinishReason] = {"stop": "stop", "tool_calls": "tool_calls", "length": "length"}


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


class _Usage(BaseModel):
    prompt_tokens: int | None = None
    completion_tokens: int | None = None


class _ChatCompletion(BaseModel):
    """The fields of a chat completion we read (servers differ on the rest)."""

    model: str | None = None
    choices: list[_Choice] = Field(min_length=1)
    usage: _Usage | None = None


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
    try:
        parsed = _ChatCompletion.model_validate_json(body)
    except ValidationError as exc:
        raise invalid_response(provider, exc) from exc
    choice = parsed.choices[0]
    calls = tuple(
        ToolCall(call.id, call.function.name, call.function.arguments)
        for call in choice.message.tool_calls or ()
    )
    finish = _FINISH.get(choice.finish_reason or "", "other")
    if calls and finish == "stop":
        finish = "tool_calls"  # some compatible servers say "stop" after calling tools
    usage = parsed.usage or _Usage()
    return Completion(
        text=choice.message.content or "",
        tool_calls=calls,
        finish_reason=finish,
        usage=Usage(usage.prompt_tokens or 0, usage.completion_tokens or 0),
        model=parsed.model or requested_model,
    )


class OpenAIChatModel:
    """A :class:`~agents.core.llm.ChatModel` speaking OpenAI-compatible chat completions."""

    def __init__(
        self,
        settings: ProviderSettings,
        *,
        sleep: Sleep = asyncio.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        if settings.kind != "openai":
            raise ValueError(f"provider {settings.name!r} is not of kind 'openai'")
        self._settings = settings
        self._wall_clock = wall_clock
        self._client = openai.AsyncOpenAI(
            base_url=settings.base_url,
            # a keyless local server still gets a placeholder: the SDK insists on a key
            api_key=settings.api_key or KEYLESS,
            max_retries=0,
            timeout=settings.timeout,
            default_headers=dict(settings.default_headers),
        )
        self.guard = CallGuard(settings, sleep=sleep, monotonic=monotonic)

    @property
    def name(self) -> str:
        """The provider's name in the config file."""
        return self._settings.name

    async def complete(self, request: ChatRequest) -> Completion:
        """Ask the model (retrying transient failures, behind the provider's breaker).

        Raises:
            ProviderError: the call failed for good, or the circuit is open.
        """
        messages = openai_messages(self.name, request.messages)
        tools = openai_tools(request.tools)
        return await self.guard.run(request.model, lambda: self._attempt(request, messages, tools))

    async def aclose(self) -> None:
        """Close the SDK's connection pool."""
        await self._client.close()

    async def _attempt(
        self,
        request: ChatRequest,
        messages: list[ChatCompletionMessageParam],
        tools: list[ChatCompletionFunctionToolParam],
    ) -> Completion:
        try:
            raw = await self._client.chat.completions.with_raw_response.create(
                model=request.model,
                messages=messages,
                tools=tools or openai.omit,
                max_tokens=request.max_tokens,
                temperature=request.temperature,
            )
        except openai.APIStatusError as exc:
            raise status_failed(
                self.name,
                exc.status_code,
                headers=exc.response.headers,
                body=exc.body,
                secret=self._settings.api_key,
                now=self._wall_clock(),
            ) from exc
        except openai.APITimeoutError as exc:
            raise timed_out(self.name, timeout=self._settings.timeout) from exc
        except openai.APIConnectionError as exc:
            raise connection_failed(self.name, exc, secret=self._settings.api_key) from exc
        except openai.APIResponseValidationError as exc:
            raise ProviderError(self.name, "bad_response", "the SDK rejected the answer") from exc
        except openai.OpenAIError as exc:
            detail = f"the SDK refused the call ({type(exc).__name__})"
            raise ProviderError(self.name, "bad_request", detail) from exc
        return completion_from_openai(
            self.name, raw.http_response.content, requested_model=request.model
        )
