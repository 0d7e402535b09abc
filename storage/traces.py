"""One record per turn: where it was routed, how long each step took, how it ended."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, get_args

import structlog
from sqlalchemy import Row, bindparam, delete, select, update
from sqlalchemy.engine import Connection

from agents.kernel.models import PlannerName, RouteReason, Source, Trace, TurnOutcome
from storage._records import from_row, row_values
from storage._seam import (
    PerDialect,
    SqlStore,
    count_changed,
    fetch_first,
    insert,
    narrow,
    translated,
)
from storage.engine import Dialect, Prepared
from storage.tables import traces

if TYPE_CHECKING:
    from sqlalchemy.dialects import postgresql, sqlite

__all__ = ["SqlTraceStore", "mark_delivered_on", "save_trace_on", "trace_from_row"]

log = structlog.get_logger(__name__)

_SOURCES: tuple[Source, ...] = get_args(Source)
_REASONS: tuple[RouteReason, ...] = get_args(RouteReason)
_OUTCOMES: tuple[TurnOutcome, ...] = get_args(TurnOutcome)
_PLANNERS: tuple[PlannerName, ...] = get_args(PlannerName)


def _upsert(dialect: Dialect) -> sqlite.Insert | postgresql.Insert:
    # Every column but the key is replaced, so save() can never leave a field of the old trace.
    statement = insert(dialect, traces)
    return statement.on_conflict_do_update(
        index_elements=[traces.c.trace_id],
        set_={
            column.name: statement.excluded[column.name]
            for column in traces.c
            if column is not traces.c.trace_id
        },
    )


# Built once: SQLAlchemy then skips rebuilding them and their cache keys on every turn.
_SAVE = PerDialect(lambda dialect: Prepared(_upsert(dialect)))
_MARK_DELIVERED = Prepared(update(traces).where(traces.c.trace_id == bindparam("w_trace_id")))


class SqlTraceStore(SqlStore):
    """``TraceStore`` on SQL, keyed by trace id."""

    async def save(self, trace: Trace) -> None:
        """Insert the trace, or replace every field of the one with the same trace id."""
        with translated("save a trace"):
            await self._db.write.run(save_trace_on, self._db.dialect, trace)

    async def mark_delivered(self, *, trace_id: str, at: datetime) -> None:
        """Record when the turn's reply reached Slack."""
        with translated("mark a trace delivered"):
            await self._db.write.run(mark_delivered_on, trace_id=trace_id, at=at)

    async def purge(self, *, before: datetime) -> int:
        """Delete traces of turns that started before ``before`` (retention)."""
        statement = delete(traces).where(traces.c.started_at < before)
        return await count_changed(self._db.write, statement, action="purge traces")

    async def get(self, trace_id: str) -> Trace | None:
        """The trace with this id, if stored."""
        statement = select(traces).where(traces.c.trace_id == trace_id)
        row = await fetch_first(self._db.read, statement, action="read a trace")
        return None if row is None else trace_from_row(row)


def save_trace_on(connection: Connection, dialect: Dialect, trace: Trace) -> None:
    """Insert or wholly replace the trace with this trace id, in the caller's transaction."""
    values = row_values(trace, tool_calls=list(trace.tool_calls))
    _SAVE[dialect].execute(connection, values)


def mark_delivered_on(connection: Connection, *, trace_id: str, at: datetime) -> None:
    """Record in the caller's transaction when the turn's reply reached Slack."""
    values = {"w_trace_id": trace_id, "delivered_at": at}
    if not _MARK_DELIVERED.execute(connection, values).rowcount:
        log.warning("trace_not_found", trace_id=trace_id)


def trace_from_row(row: Row[*tuple[Any, ...]]) -> Trace:
    """The domain trace of a ``traces`` row (every column selected)."""
    return from_row(
        Trace,
        row,
        source=narrow(row.source, _SOURCES, column="traces.source"),
        route_reason=narrow(row.route_reason, _REASONS, column="traces.route_reason"),
        outcome=narrow(row.outcome, _OUTCOMES, column="traces.outcome"),
        planner=narrow(row.planner, _PLANNERS, column="traces.planner"),
        tool_calls=tuple(str(call) for call in row.tool_calls or ()),
    )
