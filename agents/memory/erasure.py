"""Erasure and retention: one service for every path that forgets.

A message edited in Slack replaces its stored copy; a message deleted there erases it. Either
way the notes made from it are dropped (they no longer say what the person wrote) and the
channel's stored summaries are remade (one of them may quote it). ``switchboard memory forget
--user`` erases everything a person wrote or voted, and the notes by or about them, and has
every summary remade. The worker purges each tier past its retention days. Every path calls
this service, so the rule lives in one place.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import KW_ONLY, dataclass
from datetime import timedelta

import structlog

from agents.kernel.clock import Clock
from agents.kernel.redaction import redact
from agents.memory.notes import NoteStore
from agents.memory.ports import MessageStore, MissLog, Purgeable, VoteStore
from agents.memory.retention import Retention
from agents.memory.threads import ThreadMemoryStore

__all__ = ["Erased", "Erasure", "ErasureStores"]

log = structlog.get_logger(__name__)

_Purge = Callable[..., Awaitable[int]]
"""A store's ``purge(before=...)``: returns how many rows it deleted."""


@dataclass(frozen=True, slots=True)
class ErasureStores:
    """Every store that holds what a person wrote, or what was derived from it, and the
    records retention bounds (usage, deliveries, traces)."""

    messages: MessageStore
    notes: NoteStore
    threads: ThreadMemoryStore
    votes: VoteStore
    usage: Purgeable
    misses: MissLog
    events: Purgeable
    traces: Purgeable


@dataclass(frozen=True, slots=True)
class Erased:
    """What forgetting a person erased."""

    messages: int
    notes: int
    votes: int


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

    async def message_changed(self, *, team_id: str, channel_id: str, ts: str, text: str) -> None:
        """A person edited a message in Slack: store the new text (redacted); notes made from
        it are dropped, since they no longer say what the person wrote."""
        await self.stores.messages.edit_message(
            team_id=team_id, channel_id=channel_id, ts=ts, text=redact(text)
        )
        await self._forget_derived(team_id=team_id, channel_id=channel_id, ts=ts)

    async def message_deleted(self, *, team_id: str, channel_id: str, ts: str) -> None:
        """A person deleted a message in Slack: erase the stored copy and notes made from it."""
        await self.stores.messages.erase_message(team_id=team_id, channel_id=channel_id, ts=ts)
        await self._forget_derived(team_id=team_id, channel_id=channel_id, ts=ts)

    async def forget_user(self, *, team_id: str | None, user_id: str) -> Erased:
        """Erase a person's messages, their notes and the notes they wrote, and their votes
        (in one team, or in every team when ``team_id`` is None); the stored summaries are
        remade from what is left, since they may quote the person."""
        stores = self.stores
        erased = Erased(
            messages=await stores.messages.erase_user(team_id=team_id, user_id=user_id),
            notes=await stores.notes.forget_user(team_id=team_id, user_id=user_id),
            votes=await stores.votes.forget_user(team_id=team_id, user_id=user_id),
        )
        await stores.threads.drop_summaries(team_id=team_id)
        log.info(
            "memory_forgot_user",
            user=user_id,
            messages=erased.messages,
            notes=erased.notes,
            votes=erased.votes,
        )
        return erased

    async def purge_expired(self) -> int:
        """Delete what each tier holds past its retention days; returns how many rows."""
        now = self.clock.now()
        purged = 0
        for days, purge in self._tiers():
            purged += await purge(before=now - timedelta(days=days))
        return purged

    def _tiers(self) -> list[tuple[int, _Purge]]:
        stores, retention = self.stores, self.retention
        tiers: list[tuple[int | None, _Purge]] = [
            (retention.messages_days, stores.messages.purge),
            (retention.notes_days, stores.notes.purge),
            (retention.summaries_days, stores.threads.purge),
            (retention.usage_days, stores.usage.purge),
            (retention.misses_days, stores.misses.purge_misses),
            (retention.events_days, stores.events.purge),
            (retention.traces_days, stores.traces.purge),
        ]
        return [(days, purge) for days, purge in tiers if days is not None]

    async def _forget_derived(self, *, team_id: str, channel_id: str, ts: str) -> None:
        """Notes made from the message go; the channel's stored summaries are remade (one of
        them may quote it)."""
        await self.stores.notes.forget_source(team_id=team_id, channel_id=channel_id, ts=ts)
        await self.stores.threads.drop_summaries(team_id=team_id, channel_id=channel_id)
