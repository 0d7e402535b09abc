r"""The seam between the stores and SQLAlchemy: error translation and dialect-specific SQL.

Every store method runs inside :func:`translated`, so callers only ever see
:class:`~agents.kernel.errors.StorageError`; the driver's exception stays on ``__cause__``.
Every store is a :class:`SqlStore`; its one-statement work goes through :func:`fetch_all`,
:func:`fetch_first`, :func:`fetch_scalar`, :func:`execute` and :func:`count_changed`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from sqlalchemy import Row, Table
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql.expression import Executable

from agents.kernel.errors import StorageError
from storage.engine import Dialect, Writes, views

if TYPE_CHECKING:
    from sqlalchemy.dialects import postgresql, sqlite

__all__ = [
    "PerDialect",
    "SqlStore",
    "count_changed",
    "execute",
    "fetch_all",
    "fetch_first",
    "fetch_scalar",
    "insert",
    "narrow",
    "translated",
]

_T = TypeVar("_T", bound=str)
_S = TypeVar("_S")
_MAX_DETAIL = 200


class SqlStore:
    """A store over one engine, seen through its views (shared by every store of the engine)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._db = views(engine)


def insert(dialect: Dialect, table: Table) -> sqlite.Insert | postgresql.Insert:
    """An INSERT that supports ``ON CONFLICT`` on this dialect.

    Each dialect's module is imported here, on first use: a SQLite process never loads
    PostgreSQL's (about 2 MiB of memory), nor the other way round.
    """
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert(table)
    from sqlalchemy.dialects.postgresql import insert as postgresql_insert

    return postgresql_insert(table)


class PerDialect(Generic[_S]):
    """A statement per dialect, built once on first use (hot statements are built once, so
    SQLAlchemy skips rebuilding them and their cache keys; lazily, so building the other
    dialect's does not import it)."""

    def __init__(self, build: Callable[[Dialect], _S]) -> None:
        self._build = build
        self._built: dict[Dialect, _S] = {}

    def __getitem__(self, dialect: Dialect) -> _S:
        built = self._built.get(dialect)
        if built is None:
            built = self._built[dialect] = self._build(dialect)
        return built


def narrow(value: object, allowed: tuple[_T, ...], *, column: str) -> _T:
    """Return ``value`` typed as one of ``allowed``, or StorageError if it is none of them."""
    for option in allowed:
        if option == value:
            return option
    raise StorageError(f"impossible stored value {value!r} in {column!r}")


def _describe(exc: BaseException) -> str:
    # The driver's own message names the problem ("no such table: events") without the
    # statement's parameters; only its first line, since PostgreSQL's DETAIL quotes row values.
    cause = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    lines = str(cause).strip().splitlines()
    first = lines[0][:_MAX_DETAIL] if lines else ""
    return f"{type(cause).__name__}: {first}" if first else type(cause).__name__


@contextmanager
def translated(action: str) -> Iterator[None]:
    """Turn SQLAlchemy and driver errors raised inside the block into StorageError."""
    try:
        yield
    except (SQLAlchemyError, OSError) as exc:
        # OSError: asyncpg raises connection failures (refused, timeout) unwrapped.
        raise StorageError(f"could not {action}: {_describe(exc)}") from exc


async def fetch_all(read: AsyncEngine, statement: Executable, *, action: str) -> Sequence[Row[Any]]:
    """Every row ``statement`` reads.

    Raises:
        StorageError: the database failed (``action`` says what could not be done).
    """
    with translated(action):
        async with read.connect() as connection:
            return (await connection.execute(statement)).all()


async def fetch_first(read: AsyncEngine, statement: Executable, *, action: str) -> Row[Any] | None:
    """The first row ``statement`` reads, if any (StorageError as :func:`fetch_all`)."""
    with translated(action):
        async with read.connect() as connection:
            return (await connection.execute(statement)).first()


async def fetch_scalar(read: AsyncEngine, statement: Executable, *, action: str) -> Any:
    """The one value ``statement`` reads (StorageError as :func:`fetch_all`)."""
    with translated(action):
        async with read.connect() as connection:
            return (await connection.execute(statement)).scalar_one()


async def execute(
    write: Writes,
    statement: Executable,
    values: Mapping[str, Any] | None = None,
    *,
    action: str,
) -> None:
    """Run one write statement in its own transaction (StorageError as :func:`fetch_all`)."""
    with translated(action):
        async with write.begin() as connection:
            await connection.execute(statement, values)


async def count_changed(write: Writes, statement: Executable, *, action: str) -> int:
    """Run one UPDATE or DELETE in its own transaction; how many rows it changed."""
    with translated(action):
        async with write.begin() as connection:
            return int((await connection.execute(statement)).rowcount or 0)
