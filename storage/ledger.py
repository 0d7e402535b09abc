"""A turn's writes in two transactions: what the turn produced, then that it was delivered.

The statements are the stores' own (``*_on`` functions of :mod:`storage.conversations`,
:mod:`storage.traces` and :mod:`storage.events`); the ledger only groups them, so a turn
costs two write transactions instead of six. On PostgreSQL each is one statement run in
autocommit (data-modifying CTEs, atomic as any statement): the completion's three UPDATEs,
one round trip instead of five (BEGIN, three UPDATEs, COMMIT); the record's writes with the
release of the turn's conversation lock (:mod:`storage.turn_record_pg`), one instead of
eight, unless the message was edited or deleted meanwhile (the transaction then erases it).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import structlog
from sqlalchemy import Select, bindparam, func, select, update
from sqlalchemy.engine import Connection

from agents.kernel.models import Inbound, Outbound, Trace
from storage._seam import SqlStore, translated
from storage.conversations import mark_sent_on, record_exchange_on
from storage.engine import Dialect, Prepared, Writes
from storage.erasure import settle_turn_on
from storage.events import finish_event_on
from storage.locks import held_lease
from storage.tables import events, messages, traces
from storage.traces import mark_delivered_on, save_trace_on
from storage.turn_record_pg import NO_LOCK, statement_for

__all__ = ["SqlTurnLedger"]

log = structlog.get_logger(__name__)


def _complete_in_one_statement() -> Select[Any]:
    """PostgreSQL: the three UPDATEs of :func:`_complete` in one statement, which reads back
    how many rows each changed."""
    sent = (
        update(messages)
        .where(messages.c.trace_id == bindparam("w_trace_id"), messages.c.direction == "out")
        .values(status="sent", ts=bindparam("w_ts"))
        .returning(messages.c.id)
        .cte("sent")
    )
    delivered = (
        update(traces)
        .where(traces.c.trace_id == bindparam("w_trace_id"))
        .values(delivered_at=bindparam("w_now"))
        .returning(traces.c.trace_id)
        .cte("delivered")
    )
    done = (
        update(events)
        .where(
            events.c.team_id == bindparam("w_team_id"), events.c.event_id == bindparam("w_event_id")
        )
        .values(
            status="done",
            finished_at=bindparam("w_now"),
            text="",
            lease_owner=None,  # nobody works on it now: the row keeps no lease
            lease_expires_at=None,
        )
        .returning(events.c.id)
        .cte("done")
    )
    return select(
        *(
            select(func.count()).select_from(cte).scalar_subquery()
            for cte in (sent, delivered, done)
        )
    )


_COMPLETE_PG = Prepared(_complete_in_one_statement())


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
            if self._db.dialect == "postgresql":
                lease = held_lease(inbound.conversation)
                lock = NO_LOCK if lease is None else (lease.name, lease.owner)
                prepared = statement_for(inbound, outbound, trace, lock=lock)
                if prepared is not None and await _wrote(self._db.write, *prepared):
                    if lease is not None:
                        lease.released = True
                    return
            await self._db.transaction.run(_record, self._db.dialect, inbound, outbound, trace)

    async def complete_turn(self, inbound: Inbound, *, ts: str, now: datetime) -> None:
        """Mark the reply sent with ``ts``, the trace delivered and the delivery done, at once."""
        with translated("complete a turn"):
            if self._db.dialect == "postgresql":
                await _complete_at_once(self._db.write, inbound, ts=ts, now=now)
            else:
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


async def _wrote(writes: Writes, statement: Prepared, values: dict[str, Any]) -> bool:
    """The record's one statement (:mod:`storage.turn_record_pg`); False if it wrote nothing."""
    return bool((await writes.execute(statement, values)).one()[0])


async def _complete_at_once(writes: Writes, inbound: Inbound, *, ts: str, now: datetime) -> None:
    # "w_" names: a parameter named like a column would be taken for a value to SET.
    values = {
        "w_trace_id": inbound.trace_id,
        "w_ts": ts,
        "w_now": now,
        "w_team_id": inbound.team_id,
        "w_event_id": inbound.event_id,
    }
    reply, trace, delivery = tuple((await writes.execute(_COMPLETE_PG, values)).one())
    if not reply:
        log.warning("reply_not_found", trace_id=inbound.trace_id)
    if not trace:
        log.warning("trace_not_found", trace_id=inbound.trace_id)
    if not delivery:
        log.warning(
            "delivery_not_found", team_id=inbound.team_id, event_id=inbound.event_id, status="done"
        )
