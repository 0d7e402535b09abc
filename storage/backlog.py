"""What is waiting, for the scrape-time gauges: deliveries claimed but not finished, and
approval requests nobody has decided yet (across every workspace; gauges carry no team)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from storage._seam import fetch_first, fetch_scalar
from storage.engine import views
from storage.tables import approvals, events

__all__ = ["Backlog", "read_backlog"]


@dataclass(frozen=True, slots=True)
class Backlog:
    """Deliveries still claimed (and when the oldest arrived), approvals still pending."""

    events: int
    oldest_event_at: datetime | None
    approvals_pending: int

    def oldest_age(self, now: datetime) -> float:
        """Seconds since the oldest unfinished delivery arrived (0 when there is none)."""
        if self.oldest_event_at is None:
            return 0.0
        return max((now - self.oldest_event_at).total_seconds(), 0.0)


async def read_backlog(engine: AsyncEngine) -> Backlog:
    """Two counts on indexed columns (``events.status``, ``approvals.state``).

    Raises:
        StorageError: the database cannot be read.
    """
    read = views(engine).read
    claimed = select(func.count().label("n"), func.min(events.c.received_at).label("oldest")).where(
        events.c.status == "claimed"
    )
    row = await fetch_first(read, claimed, action="count unfinished deliveries")
    pending = select(func.count()).select_from(approvals).where(approvals.c.state == "pending")
    waiting = await fetch_scalar(read, pending, action="count pending approvals")
    count, oldest = (int(row.n), row.oldest) if row is not None else (0, None)
    return Backlog(events=count, oldest_event_at=oldest, approvals_pending=int(waiting or 0))
