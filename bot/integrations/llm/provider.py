"""The base every provider adapter shares: one call with timeout, retries, breaker and the
error ladder, whatever the wire format, streamed or not.

An adapter supplies only what differs between vendors: its SDK client
(:meth:`~ProviderChatModel._connect`), the request in the vendor's form
(:meth:`~ProviderChatModel._prepare`, which may refuse a conversation before any traffic), the
SDK call that sends it (:meth:`~ProviderChatModel._send`), the reading of the raw answer
(:meth:`~ProviderChatModel._read`), their stream equivalents (the SDK call that opens a stream,
:meth:`~ProviderChatModel._open_stream`, and the assembly of its events into a completion,
:meth:`~ProviderChatModel._assembly`), and its error map (:attr:`~ProviderChatModel.errors`).
Every SDK exception is translated here, at the seam, into a
:class:`~agents.kernel.errors.ProviderError` (see :mod:`.failures`).

Streams (``complete(..., on_text=sink)``): each piece of text goes to the sink as its event
arrives. Timeouts: the configured ``timeout`` bounds the wait for the response's headers (the
SDK's), then every wait for the next event, the first included (ours: an idle limit; the
sink's own time does not count, and keep-alive pings are not events). A steadily flowing
answer has no overall limit beyond ``max_tokens``; the caller bounds it by cancelling. A
failure before the first piece is retried like any other; after it, the call fails as it is
(``connection``, ``timeout``, an error event's kind) and the breaker counts it. Cancelling the
call closes the HTTP stream before the cancellation propagates.
"""

from __future__ import annotations

import asyncio
import json
import time
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from typing import ClassVar, Generic, Protocol, TypedDict, TypeVar

from agents.kernel.errors import ProviderError
from agents.llm.chat import ChatRequest, Completion, TextSink
from bot.integrations.llm.answers import invalid_event
from bot.integrations.llm.calls import CallGuard, Relay
from bot.integrations.llm.failures import SdkErrors, idle_timeout, sdk_failure
from bot.integrations.llm.settings import KEYLESS, ProviderKind, ProviderSettings
from bot.integrations.resilience import Sleep

__all__ = ["EventStream", "ProviderChatModel", "SdkOptions", "StreamAssembly", "sdk_options"]


class _SdkClient(Protocol):
    async def close(self) -> None: ...


_Client = TypeVar("_Client", bound=_SdkClient)
_Wire = TypeVar("_Wire")
_Event = TypeVar("_Event")
_Event_co = TypeVar("_Event_co", covariant=True)
_Event_contra = TypeVar("_Event_contra", contravariant=True)
_T = TypeVar("_T")


class EventStream(Protocol[_Event_co]):
    """An SDK's open stream of events (both SDKs' ``AsyncStream``)."""

    def __anext__(self) -> Awaitable[_Event_co]:
        """The next event; ``StopAsyncIteration`` at the end."""
        ...

    async def close(self) -> None:
        """Close the HTTP response and release its connection."""
        ...


class StreamAssembly(Protocol[_Event_contra]):
    """A streamed answer being put together from its events (one per attempt)."""

    def feed(self, event: _Event_contra) -> str:
        """Take the next event; the piece of text it carries (``""`` for none).

        Raises:
            ProviderError: ``bad_response`` for an event that does not fit.
        """
        ...

    def finish(self) -> Completion:
        """The completion, once the stream has ended.

        Raises:
            ProviderError: the stream ended before its final event, or had none.
        """
        ...


class SdkOptions(TypedDict):
    """What both SDKs' async clients are built with."""

    base_url: str
    api_key: str
    max_retries: int
    timeout: float
    default_headers: dict[str, str]


def sdk_options(settings: ProviderSettings) -> SdkOptions:
    """The client options of a provider: the SDK's own retries off (ours are the policy);
    a keyless server still gets a placeholder key, never ``None`` (the SDKs would insist on
    one, or look for credentials in the environment)."""
    return SdkOptions(
        base_url=settings.base_url,
        api_key=settings.api_key or KEYLESS,
        max_retries=0,
        timeout=settings.timeout,
        default_headers=dict(settings.default_headers),
    )


class ProviderChatModel(ABC, Generic[_Client, _Wire, _Event]):
    """A :class:`~agents.llm.chat.ChatModel` over one vendor's SDK (see the module docstring).

    Type parameters: the SDK's async client, the request in the vendor's form, and the
    events of its streams.
    """

    kind: ClassVar[ProviderKind]
    """The wire format this adapter speaks."""
    errors: ClassVar[SdkErrors]
    """The SDK's exception classes, by what they mean."""

    def __init__(
        self,
        settings: ProviderSettings,
        *,
        sleep: Sleep = asyncio.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        if settings.kind != self.kind:
            raise ValueError(f"provider {settings.name!r} is not of kind {self.kind!r}")
        self._settings = settings
        self._wall_clock = wall_clock
        self._monotonic = monotonic
        self._client = self._connect(sdk_options(settings))
        self.guard = CallGuard(settings, sleep=sleep, monotonic=monotonic)

    @property
    def name(self) -> str:
        """The provider's name in the config file."""
        return self._settings.name

    async def complete(
        self, request: ChatRequest, *, on_text: TextSink | None = None
    ) -> Completion:
        """Ask the model (retrying transient failures, behind the provider's breaker).

        With ``on_text`` the answer is streamed: each piece of its text goes to ``on_text``
        as it arrives (see the module docstring for retries and timeouts).

        Raises:
            ProviderError: the call failed for good, or the circuit is open.
        """
        wire = self._prepare(request)
        if on_text is None:
            return await self.guard.run(request.model, lambda: self._attempt(request, wire))
        relay = Relay(on_text, monotonic=self._monotonic)
        return await self.guard.run(
            request.model, lambda: self._stream_attempt(request, wire, relay), relay=relay
        )

    async def aclose(self) -> None:
        """Close the SDK's connection pool."""
        await self._client.close()

    async def _attempt(self, request: ChatRequest, wire: _Wire) -> Completion:
        """One attempt: the SDK call, its exceptions translated, the answer read."""
        body = await self._translated(self._send(request, wire))
        return self._read(request, body)

    async def _stream_attempt(self, request: ChatRequest, wire: _Wire, relay: Relay) -> Completion:
        """One streamed attempt: open the stream, relay each event's text, then assemble the
        completion. The stream is closed however the attempt ends, cancellation included."""
        assembly = self._assembly(request)
        stream = await self._translated(self._open_stream(request, wire))
        events = 0
        try:
            while True:
                event = await self._next_event(stream, seen=events)
                if event is None:
                    break
                events += 1
                piece = assembly.feed(event)
                if piece:
                    await relay(piece)
        finally:
            await stream.close()
        if events == 0:
            raise invalid_event(self.name, events=0)
        return assembly.finish()

    async def _next_event(self, stream: EventStream[_Event], *, seen: int) -> _Event | None:
        """The stream's next event (``None`` at its end), within the idle limit."""
        idle = asyncio.timeout(self._settings.timeout)
        try:
            async with idle:
                return await anext(stream)
        except StopAsyncIteration:
            return None
        except Exception as exc:
            if idle.expired():
                raise idle_timeout(self.name, timeout=self._settings.timeout) from exc
            if isinstance(exc, json.JSONDecodeError):  # the SDKs decode each event's data
                raise invalid_event(self.name, events=seen + 1) from exc
            error = self._failure(exc)
            if error is None:
                raise
            raise error from exc

    async def _translated(self, call: Awaitable[_T]) -> _T:
        """Await an SDK call, its exceptions translated."""
        try:
            return await call
        except Exception as exc:
            error = self._failure(exc)
            if error is None:
                raise
            raise error from exc

    def _failure(self, exc: Exception) -> ProviderError | None:
        """``exc`` as a :class:`ProviderError`; ``None`` when it is not the SDK's (a bug)."""
        return sdk_failure(
            self.name,
            exc,
            self.errors,
            timeout=self._settings.timeout,
            secret=self._settings.api_key,
            now=self._wall_clock(),
        )

    @abstractmethod
    def _connect(self, options: SdkOptions) -> _Client:
        """The SDK's async client."""

    @abstractmethod
    def _prepare(self, request: ChatRequest) -> _Wire:
        """The request in the vendor's form.

        Raises:
            ProviderError: ``bad_request`` for a conversation the vendor cannot be sent.
        """

    @abstractmethod
    async def _send(self, request: ChatRequest, wire: _Wire) -> bytes:
        """Send the request with the SDK; the raw body of the answer."""

    @abstractmethod
    def _read(self, request: ChatRequest, body: bytes) -> Completion:
        """The completion in a raw answer.

        Raises:
            ProviderError: ``bad_response`` when the body is not the vendor's answer.
        """

    @abstractmethod
    async def _open_stream(self, request: ChatRequest, wire: _Wire) -> EventStream[_Event]:
        """Send the request with the SDK, asking for a stream; the open stream."""

    @abstractmethod
    def _assembly(self, request: ChatRequest) -> StreamAssembly[_Event]:
        """A new assembly for one streamed attempt's events."""
