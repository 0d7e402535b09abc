"""The base every provider adapter shares: one call with timeout, retries, breaker and the
error ladder, whatever the wire format.

An adapter supplies only what differs between vendors: its SDK client
(:meth:`~ProviderChatModel._connect`), the request in the vendor's form
(:meth:`~ProviderChatModel._prepare`, which may refuse a conversation before any traffic), the
SDK call that sends it (:meth:`~ProviderChatModel._send`), the reading of the raw answer
(:meth:`~ProviderChatModel._read`), and its error map (:attr:`~ProviderChatModel.errors`).
Every SDK exception is translated here, at the seam, into a
:class:`~agents.kernel.errors.ProviderError` (see :mod:`.failures`).
"""

from __future__ import annotations

import asyncio
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import ClassVar, Generic, Protocol, TypedDict, TypeVar

from agents.llm.chat import ChatRequest, Completion, TextSink
from bot.integrations.llm.calls import CallGuard
from bot.integrations.llm.failures import SdkErrors, sdk_failure
from bot.integrations.llm.settings import KEYLESS, ProviderKind, ProviderSettings
from bot.integrations.resilience import Sleep

__all__ = ["ProviderChatModel", "SdkOptions", "sdk_options"]


class _SdkClient(Protocol):
    async def close(self) -> None: ...


_Client = TypeVar("_Client", bound=_SdkClient)
_Wire = TypeVar("_Wire")


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


class ProviderChatModel(ABC, Generic[_Client, _Wire]):
    """A :class:`~agents.llm.chat.ChatModel` over one vendor's SDK (see the module docstring).

    Type parameters: the SDK's async client, and the request in the vendor's form.
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

        ``on_text`` receives the answer's text (today in one piece, once it is complete).

        Raises:
            ProviderError: the call failed for good, or the circuit is open.
        """
        wire = self._prepare(request)
        completion = await self.guard.run(request.model, lambda: self._attempt(request, wire))
        if on_text is not None and completion.text:
            await on_text(completion.text)
        return completion

    async def aclose(self) -> None:
        """Close the SDK's connection pool."""
        await self._client.close()

    async def _attempt(self, request: ChatRequest, wire: _Wire) -> Completion:
        """One attempt: the SDK call, its exceptions translated, the answer read."""
        try:
            body = await self._send(request, wire)
        except Exception as exc:
            error = sdk_failure(
                self.name,
                exc,
                self.errors,
                timeout=self._settings.timeout,
                secret=self._settings.api_key,
                now=self._wall_clock(),
            )
            if error is None:
                raise
            raise error from exc
        return self._read(request, body)

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
