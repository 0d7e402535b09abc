"""The hottest statements, compiled once by SQLAlchemy and run straight on the driver.

A turn runs about ten single-row statements (the claim, the turn's record, its completion).
Through SQLAlchemy Core's ``Connection.execute`` each costs about 70-90 µs of the event
loop's CPU on the benchmark's machine (cache lookup, an execution context, parameter
processing, a result object) against about 10 µs in ``sqlite3`` itself
(benchmarks/README.md, issue 19). A :class:`Prepared` statement is compiled by SQLAlchemy
once per set of parameter names, with SQLAlchemy's own bind processors (``UtcDateTime``,
JSON), and then executed on the stdlib driver of a pysqlite connection: the same SQL and the
same parameters, without the machinery around them. On asyncpg the same plan runs on the
DBAPI cursor of SQLAlchemy's asyncpg adapter (its prepared-statement cache, its transaction
begun when the connection is in one, its errors), which is what ``Connection.execute`` calls
in the end. A statement this cannot run as compiled (Python-side defaults, an expanding ``IN``,
rows to convert) is plain ``connection.execute``, as on any other driver.

Driver errors are wrapped the way SQLAlchemy wraps them (``DBAPIError.instance``), so callers
and :func:`storage._seam.translated` see one kind of error either way.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.exc import DBAPIError, MultipleResultsFound, NoResultFound, StatementError
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import Executable

__all__ = ["Prepared"]

_Processor = Callable[[Any], Any] | None


@dataclass(frozen=True, slots=True)
class _Bind:
    """One ``?`` of the SQL: the parameter it takes (or a constant of the statement)."""

    key: str | None  # the execute() parameter; None: ``constant``
    constant: Any
    processor: _Processor


class _Plan:
    """The SQL of one compilation and how to turn execute() parameters into its ``?``s."""

    __slots__ = ("_binds", "_sql", "on_asyncpg")

    def __init__(self, sql: str, binds: Sequence[_Bind], *, on_asyncpg: bool) -> None:
        self._sql = sql
        self._binds = tuple(binds)
        self.on_asyncpg = on_asyncpg

    def _params(self, values: Mapping[str, Any]) -> list[Any]:
        params = []
        try:
            for bind in self._binds:
                value = bind.constant if bind.key is None else values[bind.key]
                params.append(value if bind.processor is None else bind.processor(value))
        except Exception as exc:  # as SQLAlchemy: a value its type refuses (a naive datetime)
            raise StatementError(str(exc), self._sql, values, exc) from exc
        return params

    def run(self, connection: Connection, values: Mapping[str, Any]) -> Rows:
        params = self._params(values)
        driver = connection.connection.driver_connection
        try:
            cursor = driver.execute(self._sql, params)  # type: ignore[union-attr]
            rows = cursor.fetchall()  # RETURNING rows: a statement left unfinished holds locks
        except sqlite3.Error as exc:
            raise DBAPIError.instance(self._sql, params, exc, sqlite3.Error) from exc
        return Rows(rows, cursor.rowcount)

    def run_on_dbapi(self, connection: Connection, values: Mapping[str, Any]) -> Rows:
        """On the DBAPI connection (asyncpg's adapter), as ``Connection.execute`` ends up."""
        params = self._params(values)
        dialect = connection.dialect
        dbapi_connection = connection.connection.dbapi_connection
        cursor = dbapi_connection.cursor()  # type: ignore[union-attr]
        # As the asyncpg dialect's execution context does: a DDL elsewhere invalidates the
        # prepared statements of every connection.
        cursor._invalidate_schema_cache_asof = dialect._invalidate_schema_cache_asof  # type: ignore[union-attr,attr-defined]
        error = dialect.loaded_dbapi.Error
        try:
            cursor.execute(self._sql, params)
            rows = list(cursor.fetchall()) if cursor.description else []
            rowcount = cursor.rowcount
        except error as exc:
            if dialect.is_disconnect(exc, dbapi_connection, cursor):
                connection.invalidate(exc)
            raise DBAPIError.instance(self._sql, params, exc, error) from exc
        finally:
            cursor.close()
        return Rows(rows, rowcount)

    async def run_on_asyncpg(
        self, adapted: Any, dialect: Dialect, values: Mapping[str, Any]
    ) -> Rows:
        """On asyncpg itself, for a connection in autocommit (no transaction of the adapter's):
        the adapter's prepared-statement cache and error classes, without its cursor and
        SQLAlchemy's ``Connection``. A disconnect is reported in the error's
        ``connection_invalidated``: the caller invalidates the pooled connection."""
        params = self._params(values)
        error = dialect.loaded_dbapi.Error
        try:
            try:
                statement, _ = await adapted._prepare(
                    self._sql,
                    dialect._invalidate_schema_cache_asof,  # type: ignore[attr-defined]
                )
                rows = await statement.fetch(*params)
            except Exception as exc:  # asyncpg's class, raised again as the adapter's
                adapted._handle_exception(exc)
        except error as exc:
            lost = dialect.is_disconnect(exc, adapted, None)
            raise DBAPIError.instance(
                self._sql, params, exc, error, connection_invalidated=lost
            ) from exc
        return Rows(list(rows), _rowcount(statement.get_statusmsg()))


_STATUS = re.compile(r"(?:SELECT|UPDATE|DELETE|INSERT \d+) (\d+)")


def _rowcount(status: str | None) -> int:
    """The rows a statement touched, from its status, as SQLAlchemy's adapter reads it."""
    found = _STATUS.match(status or "")
    return int(found.group(1)) if found else -1


class Rows:
    """What a :class:`Prepared` statement gave: the part of SQLAlchemy's ``Result`` used here."""

    __slots__ = ("_rows", "rowcount")

    def __init__(self, rows: list[tuple[Any, ...]], rowcount: int) -> None:
        self._rows = rows
        self.rowcount = rowcount

    def all(self) -> list[tuple[Any, ...]]:
        """Every row."""
        return list(self._rows)

    def first(self) -> tuple[Any, ...] | None:
        """The first row, if any."""
        return self._rows[0] if self._rows else None

    def one(self) -> tuple[Any, ...]:
        """The only row (NoResultFound or MultipleResultsFound otherwise)."""
        if not self._rows:
            raise NoResultFound("No row was found when one was required")
        if len(self._rows) > 1:
            raise MultipleResultsFound("Multiple rows were found when exactly one was required")
        return self._rows[0]

    def scalar_one(self) -> Any:
        """The first column of the only row."""
        return self.one()[0]

    def scalar_one_or_none(self) -> Any:
        """The first column of the only row, or None without rows."""
        if not self._rows:
            return None
        return self.one()[0]


class Prepared:
    """``statement`` run on the stdlib driver of a pysqlite connection, compiled once per set
    of parameter names; through ``connection.execute`` on any other."""

    __slots__ = ("_plans", "statement")

    def __init__(self, statement: Executable) -> None:
        self.statement = statement
        self._plans: dict[tuple[str, ...], _Plan | None] = {}

    def execute(self, connection: Connection, values: Mapping[str, Any]) -> Any:
        """Run the statement with ``values``; a ``Result`` (or :class:`Rows`, its subset:
        ``first``, ``one``, ``scalar_one``, ``scalar_one_or_none``, ``rowcount``)."""
        plan = self.plan(connection.dialect, values)
        if plan is None:
            return connection.execute(self.statement, values)
        if plan.on_asyncpg:
            return plan.run_on_dbapi(connection, values)
        return plan.run(connection, values)

    def plan(self, dialect: Dialect, values: Mapping[str, Any]) -> _Plan | None:
        """How the driver runs the statement with these parameter names; None when only
        ``connection.execute`` can (another driver, or a statement that needs SQLAlchemy)."""
        driver = dialect.driver
        if driver not in _DRIVERS:
            return None
        keys = (driver, *values)
        try:
            return self._plans[keys]
        except KeyError:
            plan = self._plans[keys] = _plan(self.statement, dialect, keys[1:])
            return plan


_DRIVERS = frozenset({"pysqlite", "asyncpg"})


def _plan(statement: Executable, dialect: Dialect, keys: tuple[str, ...]) -> _Plan | None:
    """How to run ``statement`` with parameters named ``keys`` on the driver; None when only
    SQLAlchemy's execution can run it as it would (defaults it computes, expanding or
    post-compiled parameters, escaped names, rows it must convert)."""
    compiled = statement.compile(dialect=dialect, column_keys=list(keys))  # type: ignore[attr-defined]
    if not isinstance(compiled, SQLCompiler) or not _plain(compiled, dialect):
        return None
    by_name = {name: bind for bind, name in compiled.bind_names.items()}
    given = set(keys)
    binds = []
    for name in compiled.positiontup or ():
        bind = by_name[name]
        if bind.expanding or bind.literal_execute:
            return None
        key = bind.key if bind.key in given else (name if name in given else None)
        if key is None and (bind.required or bind.callable is not None):
            return None
        processor = compiled._bind_processors.get(name)
        if processor is not None and not callable(processor):  # a tuple's processors
            return None
        binds.append(_Bind(key, bind.value, processor))
    return _Plan(compiled.string, binds, on_asyncpg=dialect.driver == "asyncpg")


def _plain(compiled: SQLCompiler, dialect: Dialect) -> bool:
    """Whether the compiled statement needs nothing of SQLAlchemy's execution but its SQL."""
    if compiled.insert_prefetch or compiled.update_prefetch or compiled.escaped_bind_names:
        return False
    if compiled.literal_execute_params or compiled.post_compile_params:
        return False
    returned = getattr(compiled, "_result_columns", ())
    # Rows are handed back as the driver gives them: only columns with no result processor.
    return all(column[3]._cached_result_processor(dialect, None) is None for column in returned)
