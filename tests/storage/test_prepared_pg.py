"""Prepared statements on asyncpg: the SQL and parameters SQLAlchemy would send, run on the
DBAPI adapter under it (its transaction, its errors), or on asyncpg itself in autocommit (the
write view's ``execute``)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import event, func, insert, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, IntegrityError, StatementError

from storage import Database
from storage._records import row_values
from storage.engine import Prepared, views
from storage.engine.prepared import _plan
from storage.events import _CLAIM
from storage.ledger import _COMPLETE_PG
from storage.locks import _take_statement
from storage.tables import conversations, events
from storage.turn_record_pg import statement_for
from tests.storage.builders import at, inbound, outbound, trace


def _cases() -> list[tuple[str, Prepared, dict[str, Any]]]:
    record = statement_for(inbound(1), outbound(1), trace(), lock=("T1:C1:1", "owner"))
    assert record is not None
    complete = {
        "w_trace_id": "trace-1",
        "w_ts": "1700000002.000100",
        "w_now": at(3),
        "w_team_id": "T1",
        "w_event_id": "Ev1",
    }
    claim = row_values(inbound(1), status="claimed", attempts=1)
    return [
        ("record", *record),
        ("complete", _COMPLETE_PG, complete),
        ("claim", _CLAIM["postgresql"], claim),
        ("lock", _take_statement(120), {"l_key": "T1:C1:1", "l_owner": "owner"}),
    ]


def _compare(connection: Connection) -> list[str]:
    """Each case's SQL and parameters as SQLAlchemy sends them, against the plan's."""
    differing = []
    for name, prepared, values in _cases():
        sent: list[tuple[str, Any]] = []

        def seen(_c: Any, _cur: Any, statement: str, parameters: Any, *_: Any) -> None:
            sent.append((statement, parameters))  # noqa: B023

        event.listen(connection, "before_cursor_execute", seen)
        nested = connection.begin_nested()
        try:
            connection.execute(prepared.statement, values)
        finally:
            nested.rollback()
            event.remove(connection, "before_cursor_execute", seen)
        plan = _plan(prepared.statement, connection.dialect, tuple(values))
        assert plan is not None, name
        [(sql, parameters)] = [s for s in sent if not s[0].startswith(("SAVEPOINT", "ROLLBACK"))]
        if (plan._sql, plan._params(values)) != (sql, list(parameters)):
            differing.append(name)
    return differing


async def test_the_hot_statements_send_what_sqlalchemy_sends(postgres: Database) -> None:
    """The record, the completion, the claim and the lock: same SQL, same parameters."""
    async with postgres.engine.begin() as connection:
        assert await connection.run_sync(_compare) == []


def _add(connection: Connection, values: dict[str, Any]) -> None:
    Prepared(insert(conversations)).execute(connection, values)


async def test_errors_are_sqlalchemys_and_transactions_hold(postgres: Database) -> None:
    """A broken constraint is SQLAlchemy's IntegrityError, a naive datetime a StatementError;
    in a transaction the statement is part of it (rolled back with it)."""
    key = {"team_id": "T1", "channel_id": "C1", "thread_ts": "1"}
    row = {**key, "created_at": at(1), "updated_at": at(1)}
    async with postgres.engine.begin() as connection:
        await connection.run_sync(_add, row)
    async with postgres.engine.connect() as connection:
        with pytest.raises(IntegrityError):
            await connection.run_sync(_add, row)
    async with postgres.engine.connect() as connection:
        with pytest.raises(StatementError, match="naive datetime"):
            await connection.run_sync(
                _add, {**row, "thread_ts": "2", "created_at": datetime(2026, 1, 1)}
            )
    async with postgres.engine.connect() as connection:
        transaction = await connection.begin()
        await connection.run_sync(_add, {**row, "thread_ts": "3"})
        await transaction.rollback()
    async with postgres.engine.connect() as connection:
        stored = await connection.execute(select(conversations.c.thread_ts))
        assert list(stored.scalars()) == ["1"]


@contextmanager
def _through_sqlalchemy(database: Database) -> Iterator[list[str]]:
    """Statements SQLAlchemy's execution saw meanwhile (none for those run on asyncpg)."""
    seen: list[str] = []

    def on_execute(_c: Any, _cur: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    event.listen(database.engine.sync_engine, "before_cursor_execute", on_execute)
    try:
        yield seen
    finally:
        event.remove(database.engine.sync_engine, "before_cursor_execute", on_execute)


async def test_the_write_view_runs_them_on_asyncpg_itself_committed(postgres: Database) -> None:
    """``write.execute`` runs a hot statement on asyncpg's connection, past SQLAlchemy's
    execution, in autocommit: its rows and rowcount as SQLAlchemy's, committed when it
    returns (another connection sees the claim)."""
    claim = row_values(inbound(1), status="claimed", attempts=1)
    write = views(postgres.engine).write
    with _through_sqlalchemy(postgres) as seen:
        first = await write.execute(_CLAIM["postgresql"], claim)
        again = await write.execute(_CLAIM["postgresql"], claim)
    assert seen == []
    assert first.first() is not None and first.rowcount == 1
    assert again.first() is None and again.rowcount == 0
    async with postgres.engine.connect() as other:
        stored = await other.execute(select(events.c.event_id, events.c.status))
        assert list(stored) == [("Ev1", "claimed")]


async def test_the_write_view_raises_sqlalchemys_errors_and_keeps_its_pool(
    postgres: Database,
) -> None:
    """On asyncpg itself, a broken constraint is still SQLAlchemy's IntegrityError and a naive
    datetime a StatementError; each connection goes back to the pool, which serves on."""
    write = views(postgres.engine).write
    add = Prepared(insert(conversations))
    row: dict[str, Any] = {"team_id": "T1", "channel_id": "C1", "thread_ts": "1"}
    row.update(created_at=at(1), updated_at=at(1))
    await write.execute(add, row)
    for _ in range(10):  # more than the pool holds: a leaked connection would time it out
        with pytest.raises(IntegrityError):
            await write.execute(add, row)
    with pytest.raises(StatementError, match="naive datetime"):
        await write.execute(add, {**row, "thread_ts": "2", "created_at": datetime(2026, 1, 1)})
    assert (await write.execute(add, {**row, "thread_ts": "3"})).rowcount == 1


async def test_a_connection_lost_mid_statement_is_invalidated(postgres: Database) -> None:
    """A statement whose connection dies under it fails with ``connection_invalidated``, as
    through SQLAlchemy's execution, and the next statement runs on a live connection."""
    write = views(postgres.engine).write
    suicide = Prepared(select(func.pg_terminate_backend(func.pg_backend_pid())))
    assert suicide.plan(postgres.engine.dialect, {}) is not None  # it takes asyncpg's path
    with pytest.raises(DBAPIError) as raised:
        await write.execute(suicide, {})
    assert raised.value.connection_invalidated
    pid = Prepared(select(func.pg_backend_pid()))
    assert (await write.execute(pid, {})).scalar_one() > 0
