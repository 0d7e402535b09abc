"""Prepared statements: on SQLite's driver, the SQL and parameters SQLAlchemy would send."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import bindparam, event, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError, StatementError

from storage.engine import Prepared
from storage.tables.columns import UtcDateTime

_meta = sa.MetaData()
_items = sa.Table(
    "items",
    _meta,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String, nullable=False, unique=True),
    sa.Column("kind", sa.String),
    sa.Column("data", sa.JSON),
    sa.Column("at", UtcDateTime),
)
_WHEN = datetime(2026, 12, 4, 12, 30, tzinfo=UTC)


@pytest.fixture
def connection() -> Iterator[Connection]:
    """A connection to a fresh in-memory SQLite database holding the items table."""
    engine = sa.create_engine("sqlite://")
    _meta.create_all(engine)
    with engine.connect() as connection:
        yield connection
    engine.dispose()


def _sent(connection: Connection, run: Any) -> tuple[list[tuple[Any, ...]], list[Any]]:
    """What ``run()`` left in the table, and the statements SQLAlchemy saw (none when raw)."""
    seen: list[Any] = []
    listener = lambda *args: seen.append(args[2])  # noqa: E731
    event.listen(connection, "before_cursor_execute", listener)
    try:
        run()
    finally:
        event.remove(connection, "before_cursor_execute", listener)
    rows = connection.execute(sa.text("SELECT id, name, kind, data, at FROM items")).all()
    return [tuple(row) for row in rows], seen


def test_writes_store_what_sqlalchemy_stores_without_its_execution(
    connection: Connection,
) -> None:
    """An INSERT with a JSON and a UTC time column, an UPDATE with a constant of the
    statement and a RETURNING read store the same rows as ``connection.execute``, and none
    of them goes through SQLAlchemy's execution."""
    add = insert(_items).returning(_items.c.id)
    rename = update(_items).where(_items.c.name == bindparam("w_name"), _items.c.kind == "a")
    values = {"name": "one", "kind": "a", "data": {"k": [1, 2]}, "at": _WHEN}
    moved = {"w_name": "one", "name": "uno"}

    with connection.begin() as transaction:
        expected, _ = _sent(
            connection,
            lambda: (connection.execute(add, values), connection.execute(rename, moved)),
        )
        transaction.rollback()
    prepared_add, prepared_rename = Prepared(add), Prepared(rename)
    with connection.begin():
        got, seen = _sent(
            connection,
            lambda: (
                prepared_add.execute(connection, values),
                prepared_rename.execute(connection, moved),
            ),
        )
    assert got == expected and seen == []
    select_at = Prepared(select(_items.c.at).where(_items.c.name == bindparam("n")))
    assert select_at.execute(connection, {"n": "uno"}).scalar_one() == _WHEN  # type converted
    count = Prepared(select(_items.c.id).where(_items.c.kind == bindparam("k")))
    assert count.execute(connection, {"k": "a"}).scalar_one() == 1
    assert count.execute(connection, {"k": "none"}).scalar_one_or_none() is None


def test_errors_are_sqlalchemys(connection: Connection) -> None:
    """A constraint broken on the driver is SQLAlchemy's IntegrityError; a value the column
    type refuses (a naive datetime) is a StatementError, as through ``connection.execute``."""
    add = Prepared(insert(_items))
    with connection.begin():
        add.execute(connection, {"name": "one"})
        with pytest.raises(IntegrityError):
            add.execute(connection, {"name": "one"})
        with pytest.raises(StatementError, match="naive datetime"):
            add.execute(connection, {"name": "two", "at": datetime(2026, 12, 4)})


def test_what_only_sqlalchemy_can_run_goes_through_it(connection: Connection) -> None:
    """An expanding IN, and a column with a Python-side default, run through SQLAlchemy."""
    defaults = sa.Table(
        "defaults",
        sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String, default="made"),
    )
    defaults.create(connection)
    connection.commit()
    within = Prepared(
        select(_items.c.id).where(_items.c.name.in_(bindparam("names", expanding=True)))
    )
    with connection.begin():
        connection.execute(insert(_items), [{"name": "a"}, {"name": "b"}])
        _, seen = _sent(connection, lambda: within.execute(connection, {"names": ["a", "b"]}))
        assert len(seen) == 1
        Prepared(insert(defaults)).execute(connection, {"id": 1})
        assert connection.execute(select(defaults.c.kind)).scalar_one() == "made"
