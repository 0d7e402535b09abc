"""UtcDateTime binds on SQLite in one function what SQLAlchemy's pair of processors gives."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from storage.tables.types import UtcDateTime, _sqlite_text

_SQLITE = sqlite.dialect()
_TIMES = [
    datetime(2026, 12, 4, 12, 30, tzinfo=UTC),
    datetime(2026, 12, 4, 12, 30, 5, 123456, tzinfo=UTC),
    datetime(1, 1, 1, 0, 0, tzinfo=UTC),
    datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    datetime(2026, 3, 29, 1, 30, tzinfo=timezone(timedelta(hours=2))),  # a day earlier in UTC
    datetime(2026, 1, 1, 0, 0, 0, 1, tzinfo=timezone(timedelta(hours=-9, minutes=-30))),
    datetime(2026, 6, 1, 8, 0, tzinfo=timezone.utc),  # noqa: UP017 (the same object as UTC)
]


def _sqlalchemys_pair(value: datetime | None) -> object:
    """What SQLAlchemy binds through the decorator's process_bind_param and DATETIME's own
    processor, one after the other."""
    impl = sa.DateTime(timezone=True).dialect_impl(_SQLITE)
    process = impl.bind_processor(_SQLITE)
    assert process is not None
    return process(UtcDateTime().process_bind_param(value, _SQLITE))


@pytest.mark.parametrize("value", [*_TIMES, None])
def test_sqlite_binds_the_text_sqlalchemys_processors_give(value: datetime | None) -> None:
    """The same text for every instant (any offset, the first and last microsecond of the
    calendar), and None for None."""
    process = UtcDateTime().dialect_impl(_SQLITE).bind_processor(_SQLITE)
    assert process is not None
    assert process(value) == _sqlalchemys_pair(value)


def test_sqlite_binds_in_one_function_not_the_pair() -> None:
    """The pair costs about four times as much per timestamp (a turn binds eleven)."""
    assert UtcDateTime().dialect_impl(_SQLITE).bind_processor(_SQLITE) is _sqlite_text


def test_a_naive_datetime_is_refused_on_sqlite_as_before() -> None:
    process = UtcDateTime().dialect_impl(_SQLITE).bind_processor(_SQLITE)
    assert process is not None
    with pytest.raises(ValueError, match="naive datetime"):
        process(datetime(2026, 12, 4, 12, 30))


def test_postgresql_binds_aware_datetimes_as_before() -> None:
    """Elsewhere the decorator's own processing is kept: PostgreSQL gets the aware instant."""
    dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
    process = UtcDateTime().dialect_impl(dialect).bind_processor(dialect)
    value = datetime(2026, 3, 29, 1, 30, tzinfo=timezone(timedelta(hours=2)))
    bound = process(value) if process is not None else value
    assert bound == value and bound.tzinfo is not None


def test_a_time_written_and_read_on_a_sqlite_file_comes_back_the_same_instant(
    tmp_path: object,
) -> None:
    """Through SQLAlchemy's own execution on a file: stored as UTC text, read back aware."""
    meta = sa.MetaData()
    table = sa.Table(
        "t", meta, sa.Column("id", sa.Integer, primary_key=True), sa.Column("at", UtcDateTime)
    )
    engine = sa.create_engine(f"sqlite:///{tmp_path}/t.db")
    meta.create_all(engine)
    try:
        with engine.begin() as connection:
            connection.execute(sa.insert(table), [{"at": value} for value in _TIMES])
            stored = connection.execute(sa.text("SELECT at FROM t ORDER BY id")).scalars().all()
            read = connection.execute(sa.select(table.c.at).order_by(table.c.id)).scalars().all()
    finally:
        engine.dispose()
    assert stored == [_sqlalchemys_pair(value) for value in _TIMES]
    assert read == _TIMES
