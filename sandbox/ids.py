"""Identifiers shaped like Slack's: message ts, event ids, trigger ids, view ids."""

from __future__ import annotations

import secrets
import string
import time
import uuid
from collections.abc import Callable

__all__ = ["IdFactory"]

_ALNUM = string.ascii_uppercase + string.digits
_MIXED = string.ascii_letters + string.digits


def _base36(number: int) -> str:
    digits = []
    while True:
        number, rest = divmod(number, 36)
        digits.append((string.digits + string.ascii_uppercase)[rest])
        if number == 0:
            return "".join(reversed(digits))


class IdFactory:
    """Makes unique, Slack-shaped identifiers for one sandbox.

    Args:
        clock: Wall-clock seconds (``time.time``); message ts follow it but never repeat.
    """

    def __init__(self, *, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._last_us = 0
        self._counter = 0
        # A per-sandbox salt keeps ids distinct across sandboxes sharing one database.
        self._salt = "".join(secrets.choice(_ALNUM) for _ in range(3))

    def now(self) -> float:
        """The sandbox's wall clock, in seconds."""
        return self._clock()

    def ts(self) -> str:
        """A new message ts: ``seconds.micros``, strictly increasing within this sandbox."""
        micros = max(int(self._clock() * 1_000_000), self._last_us + 1)
        self._last_us = micros
        seconds, rest = divmod(micros, 1_000_000)
        return f"{seconds}.{rest:06d}"

    def _next(self) -> str:
        self._counter += 1
        return _base36(self._counter).rjust(7, "0")

    def event_id(self) -> str:
        """An Events API event id (``Ev0`` + salt + counter)."""
        return f"Ev0{self._salt}{self._next()}"

    def view_id(self) -> str:
        """A view id (``V0`` + salt + counter)."""
        return f"V0{self._salt}{self._next()}"

    def trigger_id(self) -> str:
        """A trigger id shaped like Slack's (``<digits>.<digits>.<hex>``)."""
        return f"{int(self._clock() * 1000)}.{secrets.randbelow(10**10)}.{secrets.token_hex(16)}"

    def block_id(self) -> str:
        """A short block id like the ones Slack gives rich_text blocks."""
        return "".join(secrets.choice(_MIXED) for _ in range(5))

    def action_ts(self) -> str:
        """An ``action_ts`` (seconds with microseconds, not necessarily unique)."""
        return f"{self._clock():.6f}"

    @staticmethod
    def uuid() -> str:
        """A random UUID string (client_msg_id, envelope_id, Socket Mode ticket)."""
        return str(uuid.uuid4())

    @staticmethod
    def token(nbytes: int = 12) -> str:
        """A random URL-safe secret (response_url ids, request ids)."""
        return secrets.token_hex(nbytes)
