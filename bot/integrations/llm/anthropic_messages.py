"""The Anthropic Messages adapter: ``POST {base_url}/v1/messages``.

Differences from chat completions, handled here: system prompts go to ``system=``; an
assistant's tool calls are ``tool_use`` content blocks; tool results are ``tool_result``
blocks in a ``user`` message (consecutive messages of one role are merged into one, so several
results answer one turn together). The official ``anthropic`` SDK sends the request (timeout,
retries, breaker and error ladder are the shared :class:`~.provider.ProviderChatModel`'s);
the raw answer is validated here with pydantic. ``ChatRequest.temperature`` is not sent: the
Messages API this SDK speaks has no sampling parameters any more. A streamed call sends the
same request with ``stream=True``; its events are put together by :mod:`.anthropic_stream`.
"""

from __future__ import annotations

import json
from typing import Annotated, Literal

import anthropic
import httpx2
from anthropic.types import (
    ContentBlockParam,
    MessageParam,
    RawMessageStreamEvent,
    TextBlockParam,
    ToolParam,
    ToolResultBlockParam,
    ToolUseBlockParam,
)
from pydantic import BaseModel, Discriminator, JsonValue, Tag

from agents.kernel.errors import ProviderError
from agents.llm.chat import (
    ChatMessage,
    ChatRequest,
    Completion,
    ToolCall,
    ToolSpec,
)
from bot.integrations.llm.answers import read_answer
from bot.integrations.llm.anthropic_stream import (
    MessageAssembly,
    anthropic_finish,
    anthropic_usage,
)
from bot.integrations.llm.failures import SdkErrors
from bot.integrations.llm.provider import EventStream, ProviderChatModel, SdkOptions

__all__ = [
    "AnthropicChatModel",
    "anthropic_messages",
    "anthropic_tools",
    "completion_from_anthropic",
]

_Wire = tuple[str | None, list[MessageParam], list[ToolParam]]


class _TextBlock(BaseModel):
    type: Literal["text"]
    text: str


class _ToolUseBlock(BaseModel):
    type: Literal["tool_use"]
    id: str
    name: str
    input: dict[str, JsonValue]


class _OtherBlock(BaseModel):
    """A block we do not use (thinking, server tools): skipped."""

    type: str


def _block_tag(block: object) -> str:
    kind = block.get("type") if isinstance(block, dict) else getattr(block, "type", None)
    return kind if kind in ("text", "tool_use") else "other"


_Block = Annotated[
    Annotated[_TextBlock, Tag("text")]
    | Annotated[_ToolUseBlock, Tag("tool_use")]
    | Annotated[_OtherBlock, Tag("other")],
    Discriminator(_block_tag),
]


class _Usage(BaseModel):
    input_tokens: int
    output_tokens: int
    cache_creation_input_tokens: int | None = None
    cache_read_input_tokens: int | None = None


class _Message(BaseModel):
    """The fields of a Messages answer we read."""

    type: Literal["message"]
    model: str
    content: list[_Block]
    stop_reason: str | None = None
    usage: _Usage


def anthropic_tools(tools: tuple[ToolSpec, ...]) -> list[ToolParam]:
    """Tool specs with their parameters as ``input_schema``."""
    return [
        {"name": tool.name, "description": tool.description, "input_schema": dict(tool.parameters)}
        for tool in tools
    ]


def _tool_use(provider: str, call: ToolCall) -> ToolUseBlockParam:
    try:
        arguments = json.loads(call.arguments)
    except ValueError:
        arguments = None
    if not isinstance(arguments, dict):
        detail = f"tool call {call.id!r} has arguments that are not a JSON object"
        raise ProviderError(provider, "bad_request", detail)
    return {"type": "tool_use", "id": call.id, "name": call.name, "input": arguments}


def _blocks(provider: str, message: ChatMessage) -> list[ContentBlockParam]:
    if message.role == "tool":
        if message.tool_call_id is None:
            raise ProviderError(provider, "bad_request", "a tool message needs tool_call_id")
        result: ToolResultBlockParam = {
            "type": "tool_result",
            "tool_use_id": message.tool_call_id,
            "content": message.content,
        }
        return [result]
    blocks: list[ContentBlockParam] = []
    if message.content or not message.tool_calls:
        text: TextBlockParam = {"type": "text", "text": message.content}
        blocks.append(text)
    blocks.extend(_tool_use(provider, call) for call in message.tool_calls)
    return blocks


def anthropic_messages(
    provider: str, messages: tuple[ChatMessage, ...]
) -> tuple[str | None, list[MessageParam]]:
    """The system prompt (every ``system`` message, joined) and the conversation, with
    consecutive messages of one role merged.

    Raises:
        ProviderError: ``bad_request`` for a tool message that answers no call, or a tool
            call whose arguments are not a JSON object.
    """
    system = [message.content for message in messages if message.role == "system"]
    turns: list[tuple[Literal["user", "assistant"], list[ContentBlockParam]]] = []
    for message in messages:
        if message.role == "system":
            continue
        role: Literal["user", "assistant"] = "assistant" if message.role == "assistant" else "user"
        blocks = _blocks(provider, message)
        if turns and turns[-1][0] == role:
            turns[-1][1].extend(blocks)
        else:
            turns.append((role, blocks))
    wire: list[MessageParam] = []
    for role, blocks in turns:
        if role == "user":
            # tool results must lead a user turn; text that followed them goes after
            blocks.sort(key=lambda block: block["type"] != "tool_result")
            wire.append({"role": "user", "content": blocks})
        else:
            wire.append({"role": "assistant", "content": blocks})
    return ("\n\n".join(system) if system else None), wire


def completion_from_anthropic(provider: str, body: bytes) -> Completion:
    """The completion in a raw Messages answer.

    Raises:
        ProviderError: ``bad_response`` when the body is not a Messages answer.
    """
    parsed = read_answer(provider, _Message, body)
    texts: list[str] = []
    calls: list[ToolCall] = []
    for block in parsed.content:
        if isinstance(block, _TextBlock):
            texts.append(block.text)
        elif isinstance(block, _ToolUseBlock):
            calls.append(ToolCall(block.id, block.name, json.dumps(block.input)))
    usage = parsed.usage
    return Completion(
        text="".join(texts),
        tool_calls=tuple(calls),
        finish_reason=anthropic_finish(parsed.stop_reason),
        usage=anthropic_usage(
            uncached=usage.input_tokens,
            written=usage.cache_creation_input_tokens or 0,
            read=usage.cache_read_input_tokens or 0,
            output=usage.output_tokens,
        ),
        model=parsed.model,
    )


class AnthropicChatModel(ProviderChatModel[anthropic.AsyncAnthropic, _Wire, RawMessageStreamEvent]):
    """A :class:`~agents.llm.chat.ChatModel` speaking Anthropic Messages."""

    kind = "anthropic"
    errors = SdkErrors.of(anthropic, root=anthropic.AnthropicError, http=httpx2)

    def _connect(self, options: SdkOptions) -> anthropic.AsyncAnthropic:
        return anthropic.AsyncAnthropic(**options)

    def _prepare(self, request: ChatRequest) -> _Wire:
        system, messages = anthropic_messages(self.name, request.messages)
        return system, messages, anthropic_tools(request.tools)

    async def _send(self, request: ChatRequest, wire: _Wire) -> bytes:
        system, messages, tools = wire
        raw = await self._client.messages.with_raw_response.create(
            model=request.model,
            messages=messages,
            system=system if system is not None else anthropic.omit,
            tools=tools or anthropic.omit,
            max_tokens=request.max_tokens,
        )
        return raw.http_response.content

    def _read(self, request: ChatRequest, body: bytes) -> Completion:
        return completion_from_anthropic(self.name, body)

    async def _open_stream(
        self, request: ChatRequest, wire: _Wire
    ) -> EventStream[RawMessageStreamEvent]:
        system, messages, tools = wire
        return await self._client.messages.create(
            model=request.model,
            messages=messages,
            system=system if system is not None else anthropic.omit,
            tools=tools or anthropic.omit,
            max_tokens=request.max_tokens,
            stream=True,
        )

    def _assembly(self, request: ChatRequest) -> MessageAssembly:
        return MessageAssembly(self.name)
