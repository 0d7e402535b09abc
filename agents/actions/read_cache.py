"""Mid-term memory for read-only actions: a recent status check answers again for a while.

Keyed by action and parameter values; only ``read``-risk actions that need no approval and
succeeded are kept, for ``ttl`` seconds. In-process: each replica has its own (a miss only
costs one more status call).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from agents.actions.spec import ParamValue
from agents.kernel.clock import Clock

__all__ = ["CachedResult", "ReadCache"]

_MAX_ENTRIES = 1024
_Key = tuple[str, tuple[tuple[str, str], ...]]


@dataclass(frozen=True, slots=True)
class CachedResult:
    """A result and when it was produced."""

    summary: str
    at: datetime


class ReadCache:
    """A small TTL cache of read results, oldest evicted first when full."""

    def __init__(self, *, clock: Clock, ttl: timedelta) -> None:
        self._clock = clock
        self.ttl = ttl
        self._entries: dict[_Key, CachedResult] = {}

    @staticmethod
    def _key(
        action: str, params: Mapping[str, ParamValue]
    ) -> tuple[str, tuple[tuple[str, str], ...]]:
        return action, tuple(sorted((k, str(v)) for k, v in params.items()))

    def get(self, action: str, params: Mapping[str, ParamValue]) -> CachedResult | None:
        """The cached result, if younger than the TTL."""
        key = self._key(action, params)
        found = self._entries.get(key)
        if found is None:
            return None
        if self._clock.now() - found.at >= self.ttl:
            del self._entries[key]
            return None
        return found

    def put(self, action: str, params: Mapping[str, ParamValue], summary: str) -> None:
        """Remember a fresh result."""
        if self.ttl <= timedelta(0):
            return
        if len(self._entries) >= _MAX_ENTRIES:
            del self._entries[next(iter(self._entries))]
        self._entries[self._key(action, params)] = CachedResult(summary, self._clock.now())
