"""A streamed chat completion put together from its chunks.

The stream (``stream=True``, ``stream_options={"include_usage": True}``) is a series of
``chat.completion.chunk`` objects: ``choices[0].delta.content`` carries the text in pieces;
``delta.tool_calls`` the calls, each fragment naming the call's ``index`` (its ``id`` and
``function.name`` come with its first fragment, ``function.arguments`` in pieces); the last
choice chunk has ``finish_reason``; a last chunk with empty ``choices`` carries ``usage``.
Compatible servers differ on the edges (``choices`` null in the usage chunk, the id repeated in
every fragment), so each chunk is read leniently with pydantic; only the first choice is read
(we never ask for more).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from openai.types.chat import ChatCompletionChunk
from pydantic import BaseModel, ConfigDict

from agents.kernel.errors import ProviderError
from agents.llm.chat import Completion, FinishReason, ToolCall, Usage
from bot.integrations.llm.answers import read_event
from bot.integrations.llm.failures import stream_cut

__all__ = ["ChunkAssembly", "OpenAIUsage", "openai_finish"]

_FINISH: dict[str, FinishReason] = {"stop": "stop", "tool_calls": "tool_calls", "length": "length"}


def openai_finish(reason: str | None, *, called: bool) -> FinishReason:
    """The finish reason in the domain's words; some compatible servers say ``stop`` after
    calling tools, which is read as ``tool_calls``."""
    finish = _FINISH.get(reason or "", "other")
    return "tool_calls" if called and finish == "stop" else finish


class _Lenient(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class _FunctionDelta(_Lenient):
    name: str | None = None
    arguments: str | None = None


class _ToolCallDelta(_Lenient):
    index: int = 0
    id: str | None = None
    function: _FunctionDelta | None = None


class _Delta(_Lenient):
    content: str | None = None
    tool_calls: list[_ToolCallDelta] | None = None


class _ChoiceDelta(_Lenient):
    index: int = 0
    delta: _Delta | None = None
    finish_reason: str | None = None


class OpenAIUsage(_Lenient):
    """The ``usage`` of a chat completion, or of a stream's last chunk (a compatible server
    may leave either count out)."""

    prompt_tokens: int | None = None
    completion_tokens: int | None = None

    def tokens(self) -> Usage:
        """The counts in the domain's terms (a missing one is 0)."""
        return Usage(self.prompt_tokens or 0, self.completion_tokens or 0)


class _Chunk(_Lenient):
    """The fields of a chunk we read."""

    model: str | None = None
    choices: list[_ChoiceDelta] | None = None
    usage: OpenAIUsage | None = None


@dataclass(slots=True)
class _PartialCall:
    id: str | None = None
    name: str | None = None
    arguments: list[str] = field(default_factory=list)


class ChunkAssembly:
    """One streamed attempt's chunks, put together (a :class:`~.provider.StreamAssembly`)."""

    def __init__(self, provider: str, *, requested_model: str) -> None:
        self._provider = provider
        self._model = requested_model
        self._texts: list[str] = []
        self._calls: dict[int, _PartialCall] = {}
        self._finish: str | None = None
        self._usage = Usage()

    def feed(self, event: ChatCompletionChunk) -> str:
        """Take one chunk; the text it carries."""
        chunk = read_event(self._provider, _Chunk, event)
        self._model = chunk.model or self._model
        if chunk.usage is not None:
            self._usage = chunk.usage.tokens()
        choice = next((c for c in chunk.choices or () if c.index == 0), None)
        if choice is None:
            return ""
        self._finish = choice.finish_reason or self._finish
        delta = choice.delta or _Delta()
        for fragment in delta.tool_calls or ():
            self._take(fragment)
        if delta.content:
            self._texts.append(delta.content)
        return delta.content or ""

    def _take(self, fragment: _ToolCallDelta) -> None:
        call = self._calls.setdefault(fragment.index, _PartialCall())
        call.id = call.id or fragment.id
        function = fragment.function or _FunctionDelta()
        call.name = call.name or function.name
        if function.arguments:
            call.arguments.append(function.arguments)

    def finish(self) -> Completion:
        """The completion, once the stream ended.

        Raises:
            ProviderError: ``connection`` when no chunk said how the answer finished;
                ``bad_response`` for a tool call without its id or name.
        """
        if self._finish is None:
            raise stream_cut(self._provider)
        calls: list[ToolCall] = []
        for index, call in sorted(self._calls.items()):
            if call.id is None or call.name is None:
                detail = f"tool call {index} came without its id or name"
                raise ProviderError(self._provider, "bad_response", detail)
            calls.append(ToolCall(call.id, call.name, "".join(call.arguments)))
        return Completion(
            text="".join(self._texts),
            tool_calls=tuple(calls),
            finish_reason=openai_finish(self._finish, called=bool(calls)),
            usage=self._usage,
            model=self._model,
        )
