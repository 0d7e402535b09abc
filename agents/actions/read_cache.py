"""Mid-term memory for read-only actions: a recent status check answers again for a while.

Keyed by the channel it ran for, the action and parameter values; only ``read``-risk actions
that need no approval and succeeded are kept, with their presented output, for ``ttl``
seconds. The channel is part of the key so that a result (which may show what a private
channel's people asked to see) never answers in another channel. In-process: each replica has
its own (a miss only costs one more status call).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from agents.actions.presentation import RunOutput
from agents.actions.spec import ParamValue
from agents.kernel.clock import Clock

__all__ = ["CachedResult", "ReadCache", "Where"]

_MAX_ENTRIES = 1024
_Key = tuple[str, str, str, tuple[tuple[str, str], ...]]


@dataclass(frozen=True, slots=True)
class Where:
    """The workspace and channel a read ran for (its results answer only there)."""

    team_id: str
    channel_id: str


@dataclass(frozen=True, slots=True)
class CachedResult:
    """A result (its summary and presented output) and when it was produced."""

    summary: str
    at: datetime
    output: RunOutput | None = None


class ReadCache:
    """A small TTL cache of read results, oldest evicted first when full."""

    def __init__(self, *, clock: Clock, ttl: timedelta) -> None:
        self._clock = clock
        self.ttl = ttl
        self._entries: dict[_Key, CachedResult] = {}

    @staticmethod
    def _key(where: Where, action: str, params: Mapping[str, ParamValue]) -> _Key:
        values = tuple(sorted((k, str(v)) for k, v in params.items()))
        return where.team_id, where.channel_id, action, values

    def get(
        self, where: Where, action: str, params: Mapping[str, ParamValue]
    ) -> CachedResult | None:
        """The result cached for this channel, if younger than the TTL."""
        key = self._key(where, action, params)
        found = self._entries.get(key)
        if found is None:
            return None
        if self._clock.now() - found.at >= self.ttl:
            del self._entries[key]
            return None
        return found

    def put(
        self,
        where: Where,
        action: str,
        params: Mapping[str, ParamValue],
        summary: str,
        *,
        output: RunOutput | None = None,
    ) -> None:
        """Remember a fresh result for this channel."""
        if self.ttl <= timedelta(0):
            return
        if len(self._entries) >= _MAX_ENTRIES:
            del self._entries[next(iter(self._entries))]
        fresh = CachedResult(summary, self._clock.now(), output)
        self._entries[self._key(where, action, params)] = fresh
