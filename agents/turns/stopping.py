"""Stopping a turn on request: a person pressed Stop while the agent worked.

A turn carries a :class:`StopSignal`. The edge requests the stop (Slack's Stop button); the
turn notices it at once where it waits on a model (the call is cancelled: :meth:`race`) and
between its steps (:meth:`check`). What a human already holds stays as it is: an action
proposed before the stop keeps its approval card, since deciding it is a person's call now.
A stopped turn answers with :func:`stopped_reply` and its trace records who stopped it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import TypeVar

from agents.kernel.models import ConversationKey

__all__ = ["StopRequest", "StopSignal", "TurnStopped", "stopped_text"]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class StopRequest:
    """Someone pressed Stop in a thread (``seq`` orders requests as they were stored)."""

    seq: int
    key: ConversationKey
    user_id: str


class TurnStopped(Exception):
    """The turn was stopped by ``by`` (a Slack user id) before it answered."""

    def __init__(self, by: str) -> None:
        super().__init__(f"stopped by {by}")
        self.by = by


class StopSignal:
    """Whether, and by whom, a turn was asked to stop."""

    def __init__(self) -> None:
        self._event = asyncio.Event()
        self._by: str | None = None

    @property
    def requested_by(self) -> str | None:
        """Who asked the turn to stop (None: nobody, yet)."""
        return self._by

    def request(self, by: str) -> bool:
        """Ask the turn to stop; False if someone already had (the first asker is kept)."""
        if self._by is not None:
            return False
        self._by = by
        self._event.set()
        return True

    def check(self) -> None:
        """Raise :class:`TurnStopped` if the turn was asked to stop."""
        if self._by is not None:
            raise TurnStopped(self._by)

    async def race(self, work: Awaitable[T]) -> T:
        """Await ``work`` unless the stop comes first; then ``work`` is cancelled (and has
        ended) before :class:`TurnStopped` is raised."""
        self.check()
        task = asyncio.ensure_future(work)
        stopped = asyncio.ensure_future(self._event.wait())
        try:
            await asyncio.wait((task, stopped), return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopped.cancel()
            if not task.done():
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        if task.cancelled():
            self.check()  # cancelled by the stop, not from outside
        return task.result()


def stopped_text(by: str) -> str:
    """What a stopped turn answers."""
    return f"Stopped by <@{by}>. Nothing more was done for this message."
