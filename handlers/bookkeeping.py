"""The record of each delivery, kept by the edge that owns deliveries.

A delivery is claimed durably before Slack is acked (a duplicate stops there), counted on each
recovered attempt, marked delivered with its reply's ts, and finished ``done`` or ``failed``;
one never finished is found again by the recovery sweep.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import KW_ONLY, dataclass
from datetime import datetime

from agents.kernel.clock import Clock
from agents.kernel.models import Inbound
from handlers.ports import EventStore, ReplyLedger

__all__ = ["Bookkeeping"]


@dataclass(frozen=True, slots=True)
class Bookkeeping:
    """Claims, attempts, deliveries and recovery of Slack deliveries."""

    events: EventStore
    ledger: ReplyLedger
    _: KW_ONLY
    clock: Clock

    async def claim(self, inbound: Inbound) -> bool:
        """Durably claim a delivery; False means it was seen before and must be dropped."""
        return await self.events.claim(inbound)

    async def attempt(self, inbound: Inbound) -> int:
        """Count one more processing attempt of a claimed delivery; returns the count."""
        return await self.events.count_attempt(team_id=inbound.team_id, event_id=inbound.event_id)

    async def reply_started(self, inbound: Inbound, ts: str) -> None:
        """The reply began in message ``ts`` (a stream): a crash from here on finishes that
        message instead of posting another."""
        await self.events.note_reply(team_id=inbound.team_id, event_id=inbound.event_id, ts=ts)

    async def started_reply(self, inbound: Inbound) -> str | None:
        """The message the reply began in before a crash, if it had begun."""
        return await self.events.reply_ts(team_id=inbound.team_id, event_id=inbound.event_id)

    async def delivered(self, inbound: Inbound, *, ts: str) -> None:
        """Record that the turn's reply reached Slack, and finish the delivery."""
        await self.ledger.complete_turn(inbound, ts=ts, now=self.clock.now())

    async def finish(self, inbound: Inbound, *, failed: bool) -> None:
        """Close a claimed delivery: ``done``, or ``failed`` when it was given up."""
        await self.events.finish(
            team_id=inbound.team_id,
            event_id=inbound.event_id,
            status="failed" if failed else "done",
            now=self.clock.now(),
        )

    async def unfinished(self, *, claimed_before: datetime, limit: int = 100) -> Sequence[Inbound]:
        """Deliveries claimed before ``claimed_before`` and never finished (crash recovery)."""
        return await self.events.unfinished(claimed_before=claimed_before, limit=limit)
