"""The record of each delivery, kept by the edge that owns deliveries.

A delivery is claimed durably before Slack is acked (a duplicate stops there), counted on each
recovered attempt, marked delivered with its reply's ts, and finished ``done`` or ``failed``;
one never finished is found again by the recovery sweep. The process working on a delivery
holds a lease on it (``lease``, renewed while it works): another process takes it over only
once the lease ran out, so two replicas never work on one delivery at once.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import KW_ONLY, dataclass, field
from datetime import datetime, timedelta

from agents.kernel.clock import Clock
from agents.kernel.models import Inbound, Takeover
from handlers.ports import EventStore, ReplyLedger

__all__ = ["Bookkeeping"]


@dataclass(frozen=True, slots=True)
class Bookkeeping:
    """Claims, attempts, deliveries and recovery of Slack deliveries."""

    events: EventStore
    ledger: ReplyLedger
    _: KW_ONLY
    clock: Clock
    lease: timedelta = timedelta(seconds=60)
    owner: str = field(default_factory=lambda: uuid.uuid4().hex)
    """This process, as the holder of its deliveries' leases."""

    async def claim(self, inbound: Inbound) -> bool:
        """Durably claim a delivery (under this process's lease); False means it was seen
        before and must be dropped."""
        until = self.clock.now() + self.lease
        return await self.events.claim(inbound, owner=self.owner, lease_until=until)

    async def take_abandoned(
        self, *, claimed_before: datetime, held_too: bool = False, limit: int = 100
    ) -> Sequence[Inbound]:
        """Take over unfinished deliveries claimed before ``claimed_before`` whose holder's
        lease ran out (``held_too``: all of them, when this is the only process)."""
        now = self.clock.now()
        return await self.events.take_unfinished(
            Takeover(
                owner=self.owner,
                now=now,
                lease_until=now + self.lease,
                claimed_before=claimed_before,
                held_too=held_too,
                limit=limit,
            )
        )

    async def renew(self, trace_ids: Collection[str]) -> int:
        """Keep the leases of the deliveries this process works on (or still owes)."""
        until = self.clock.now() + self.lease
        return await self.events.renew(owner=self.owner, trace_ids=trace_ids, lease_until=until)

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
