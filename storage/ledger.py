"""A turn's writes in two transactions: what the turn produced, then that it was delivered.

The statements are the stores' own (``*_on`` functions of :mod:`storage.conversations`,
:mod:`storage.traces` and :mod:`storage.events`); the ledger only groups them, so a turn
costs two write transactions instead of six.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.engine import Connection

from agents.kernel.models import Inbound, Outbound, Trace
from storage._seam import SqlStore, translated
from storage.conversations import mark_sent_on, record_exchange_on
from storage.engine import Dialect
from storage.erasure import settle_turn_on
from storage.events import finish_event_on
from storage.traces import mark_delivered_on, save_trace_on

__all__ = ["SqlTurnLedger"]


class SqlTurnLedger(SqlStore):
    """``TurnLedger`` on SQL."""

    async def record_turn(self, inbound: Inbound, outbound: Outbound, trace: Trace) -> None:
        """Store the person's message, the pending reply and the trace in one transaction.

        Idempotent per trace id: a repeat stores no second message and rewrites the trace.
        The reply is stamped with the turn's start, like ``trace.started_at``. If the
        message was deleted or edited in Slack while the turn ran, what it stored from the
        old words is erased in the same transaction.
        """
        with translated("record a turn"):
            await self._db.transaction.run(_record, self._db.dialect, inbound, outbound, trace)

    async def complete_turn(self, inbound: Inbound, *, ts: str, now: datetime) -> None:
        """Mark the reply sent with ``ts``, the trace delivered and the delivery done, at once."""
        with translated("complete a turn"):
            await self._db.transaction.run(_complete, inbound, ts=ts, now=now)


def _record(
    connection: Connection, dialect: Dialect, inbound: Inbound, outbound: Outbound, trace: Trace
) -> None:
    record_exchange_on(connection, dialect, inbound, outbound, now=trace.started_at)
    save_trace_on(connection, dialect, trace)
    # The message may have been deleted or edited in Slack while the turn ran.
    settle_turn_on(connection, inbound)


def _complete(connection: Connection, inbound: Inbound, *, ts: str, now: datetime) -> None:
    mark_sent_on(connection, trace_id=inbound.trace_id, ts=ts)
    mark_delivered_on(connection, trace_id=inbound.trace_id, at=now)
    finish_event_on(
        connection, team_id=inbound.team_id, event_id=inbound.event_id, status="done", now=now
    )
