"""What the scripted LLM server records: the requests it got, the streams it played, and a
list whose first items can be awaited (tests await what they expect instead of sleeping)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Generic, Literal, TypeVar

from sandbox.llm_wire import Flavour
from sandbox.records import JSON

__all__ = ["Arrivals", "LLMRequest", "StreamOutcome", "StreamRecord"]

_T = TypeVar("_T")

StreamOutcome = Literal["completed", "dropped", "error_event", "disconnected", "closed"]
"""How a stream ended: every event sent; cut by a ``drop_after`` fault; ended by an
``error_event`` fault; the client closed the connection first; the server shut down first."""


@dataclass(frozen=True, slots=True)
class LLMRequest:
    """One request the server got.

    Attributes:
        headers: without ``Authorization``, ``x-api-key`` and ``api-key``.
        body: the decoded JSON body (``None`` when it was not a JSON object).
        at: ``time.monotonic()`` when it arrived.
        streamed: the body asked for a stream (``"stream": true``).
    """

    flavour: Flavour
    path: str
    headers: Mapping[str, str]
    body: JSON | None
    at: float
    streamed: bool = False


@dataclass(slots=True, eq=False)
class _Waiter(Generic[_T]):
    count: int
    future: asyncio.Future[list[_T]] = field(repr=False)


class Arrivals(Generic[_T]):
    """Items in arrival order, whose first ``count`` can be awaited."""

    def __init__(self, what: str) -> None:
        self._what = what
        self.items: list[_T] = []
        self._waiters: list[_Waiter[_T]] = []

    def add(self, item: _T) -> None:
        """Record ``item``, waking those who waited for it."""
        self.items.append(item)
        for waiter in list(self._waiters):
            if len(self.items) >= waiter.count and not waiter.future.done():
                waiter.future.set_result(self.items[: waiter.count])

    async def wait(self, count: int, timeout: float) -> list[_T]:
        """The first ``count`` items, once they are here.

        Raises:
            TimeoutError: fewer came within ``timeout`` seconds (the message says how many).
        """
        if len(self.items) >= count:
            return self.items[:count]
        future: asyncio.Future[list[_T]] = asyncio.get_running_loop().create_future()
        waiter = _Waiter(count, future)
        self._waiters.append(waiter)
        try:
            async with asyncio.timeout(timeout):
                return await future
        except TimeoutError:
            raise TimeoutError(
                f"{len(self.items)} of {count} {self._what} within {timeout:g}s"
            ) from None
        finally:
            with contextlib.suppress(ValueError):
                self._waiters.remove(waiter)

    def cancel(self) -> None:
        """Give up every wait (the server is closing)."""
        for waiter in self._waiters:
            waiter.future.cancel()
        self._waiters.clear()


@dataclass(frozen=True, slots=True)
class StreamRecord:
    """One streamed answer, once it has ended.

    Attributes:
        index: the position of its request in the server's ``requests``.
        pieces: the pieces sent before it ended.
        first_piece_at: ``time.monotonic()`` just before the first piece was written (the
            model's "first token", for latency figures); ``None`` when no piece was sent.
    """

    index: int
    pieces: int
    outcome: StreamOutcome
    first_piece_at: float | None = None
