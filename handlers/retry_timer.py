"""The backoff of something this process still owes Slack (a reply, an approval's notices).

Each owed thing is tried again after 1, 2, 4… seconds (from its first delay, at most
:data:`RETRY_EVERY_MAX`), and at once when Slack is back. The replies
(:mod:`handlers.redelivery`) and the approval notices (:mod:`handlers.notifier`) keep
different things in different orders, but count their tries and hold their next one the
same way: here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["RETRY_EVERY_MAX", "RetryTimer"]

RETRY_EVERY_MAX = 15.0
"""Seconds between two tries of one owed thing, at most (the gate decides when Slack is
back)."""


@dataclass(slots=True)
class RetryTimer:
    """How many times one owed thing was put off, and its next try if one is scheduled."""

    first: float
    """Seconds before the first retry (doubling with each one after)."""
    tries: int = 0
    _handle: asyncio.TimerHandle | None = None

    @property
    def waiting(self) -> bool:
        """Whether a try is scheduled (not running, not given up)."""
        return self._handle is not None

    def back_off(self, fire: Callable[[], None]) -> float:
        """Schedule ``fire`` after the next delay of the backoff; that delay."""
        delay: float = min(self.first * 2**self.tries, RETRY_EVERY_MAX)
        self.tries += 1
        self.schedule(fire, delay)
        return delay

    def schedule(self, fire: Callable[[], None], delay: float) -> None:
        """Call ``fire`` in ``delay`` seconds instead of at the try scheduled so far."""
        self.cancel()
        self._handle = asyncio.get_running_loop().call_later(delay, self._fired, fire)

    def cancel(self) -> None:
        """Drop the scheduled try, if any."""
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    def _fired(self, fire: Callable[[], None]) -> None:
        self._handle = None
        fire()
