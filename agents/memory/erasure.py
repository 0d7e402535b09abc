"""Erasure and retention: one service for every path that forgets.

A message edited in Slack has its new words stored and every copy of the old ones erased; a
message deleted there has every copy erased (what a copy is: :class:`Transcript`, and the
rules in :mod:`agents.memory.copies`). ``switchboard memory forget --user`` erases
everything a person wrote and every copy of it. The worker purges each tier past its
retention days. After each, the transcript is scrubbed, so the erased words are not left in
the database's free space. Every path calls this service, so the rule lives in one place.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import KW_ONLY, dataclass
from datetime import timedelta

import structlog

from agents.kernel.clock import Clock
from agents.kernel.redaction import redact
from agents.memory.notes import NoteStore
from agents.memory.ports import Erased, MissLog, Purgeable, Transcript
from agents.memory.retention import Retention
from agents.memory.threads import ThreadMemoryStore

__all__ = ["Erased", "Erasure", "ErasureStores"]

log = structlog.get_logger(__name__)

_Purge = Callable[..., Awaitable[int]]
"""A store's ``purge(before=...)``: returns how many rows it deleted."""


@dataclass(frozen=True, slots=True)
class ErasureStores:
    """The transcript (every copy of what people said), and the records each retention tier
    bounds (notes, thread memory, usage, misses, deliveries, traces)."""

    transcript: Transcript
    notes: NoteStore
    threads: ThreadMemoryStore
    usage: Purgeable
    misses: MissLog
    events: Purgeable
    traces: Purgeable


@dataclass(frozen=True, slots=True)
class Erasure:
    """Forgets messages, people and whatever is past its retention.

    Attributes:
        retention: days each tier is kept.
    """

    stores: ErasureStores
    _: KW_ONLY
    retention: Retention
    clock: Clock

    async def message_changed(self, *, team_id: str, channel_id: str, ts: str, text: str) -> Erased:
        """A person edited a message in Slack: store the new text (redacted) and erase every
        copy of the old words."""
        erased = await self.stores.transcript.erase_message(
            team_id=team_id, channel_id=channel_id, ts=ts, text=redact(text), now=self.clock.now()
        )
        return await self._settle("memory_message_changed", erased, deep=False)

    async def message_deleted(self, *, team_id: str, channel_id: str, ts: str) -> Erased:
        """A person deleted a message in Slack: erase every copy of it."""
        erased = await self.stores.transcript.erase_message(
            team_id=team_id, channel_id=channel_id, ts=ts, text=None, now=self.clock.now()
        )
        return await self._settle("memory_message_deleted", erased, deep=False)

    async def forget_user(self, *, team_id: str | None, user_id: str) -> Erased:
        """Erase everything a person wrote and every copy of it (in one team, or in every
        team when ``team_id`` is None)."""
        erased = await self.stores.transcript.erase_user(
            team_id=team_id, user_id=user_id, now=self.clock.now()
        )
        return await self._settle("memory_forgot_user", erased, deep=True, user=user_id)

    async def purge_expired(self) -> int:
        """Delete what each tier holds past its retention days; returns how many rows."""
        now = self.clock.now()
        purged = 0
        for days, purge in self._tiers():
            purged += await purge(before=now - timedelta(days=days))
        if purged:
            await self.stores.transcript.scrub(deep=True)
        return purged

    def _tiers(self) -> list[tuple[int, _Purge]]:
        stores, retention = self.stores, self.retention
        tiers: list[tuple[int | None, _Purge]] = [
            (retention.messages_days, stores.transcript.purge),
            (retention.notes_days, stores.notes.purge),
            (retention.summaries_days, stores.threads.purge),
            (retention.usage_days, stores.usage.purge),
            (retention.misses_days, stores.misses.purge_misses),
            (retention.events_days, stores.events.purge),
            (retention.traces_days, stores.traces.purge),
        ]
        return [(days, purge) for days, purge in tiers if days is not None]

    async def _settle(self, event: str, erased: Erased, *, deep: bool, **context: str) -> Erased:
        """Scrub what was erased out of free space (when anything was), and say what went."""
        if erased.total:
            await self.stores.transcript.scrub(deep=deep)
        log.info(event, **context, **erased.as_dict())
        return erased
