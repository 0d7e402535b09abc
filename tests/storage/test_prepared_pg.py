"""Prepared statements on asyncpg: the SQL and parameters SQLAlchemy would send, run on the
DBAPI adapter under it (its transaction, its errors)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import event, insert, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError, StatementError

from storage import Database
from storage._records import row_values
from storage.engine import Prepared
from storage.engine.prepared import _plan
from storage.events import _CLAIM
from storage.ledger import _COMPLETE_PG
from storage.locks import _take_statement
from storage.tables import conversations
from storage.turn_record_pg import statement_for
from tests.storage.builders import at, inbound, outbound, trace


@pytest.fixture
def postgres(database: Database) -> Database:
    if database.dialect != "postgresql":
        pytest.skip("asyncpg's path")
    return database


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
