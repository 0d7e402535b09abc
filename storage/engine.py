"""Engines: ``DATABASE_URL`` to an ``AsyncEngine`` for SQLite (aiosqlite) or PostgreSQL (asyncpg).

SQLite connections run in WAL mode with a busy timeout and foreign keys on, and SQLAlchemy
emits ``BEGIN`` itself (instead of the driver's implicit one) so transactions, DDL included,
are atomic. :func:`views` gives the stores the same engine three ways: writes begin
``IMMEDIATE`` on SQLite, and one-statement work runs in autocommit on PostgreSQL (one round
trip, no BEGIN/COMMIT).

SQLite has one writer at a time. Left to SQLite, writers that find the lock taken sleep in
its busy handler and retry (up to 100 ms between tries) while the lock sits free. So this
process's writers queue in asyncio instead: one FIFO :class:`WriteGate` per engine, taken
before a connection is checked out and held until it is returned. The busy timeout stays for
other processes (``switchboard db upgrade``, a second bot). Reads never queue (WAL).
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

import structlog
from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from agents.core.errors import ConfigError, StorageError

__all__ = [
    "Begins",
    "Dialect",
    "EngineViews",
    "WriteGate",
    "create_engine",
    "normalize_url",
    "views",
]

log = structlog.get_logger(__name__)

Dialect = Literal["sqlite", "postgresql"]

_SCHEMES = {
    "sqlite": "sqlite+aiosqlite",
    "sqlite+aiosqlite": "sqlite+aiosqlite",
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",
    "postgresql+asyncpg": "postgresql+asyncpg",
}
_SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA busy_timeout=5000",
    "PRAGMA foreign_keys=ON",
    "PRAGMA synchronous=NORMAL",
)
_WRITE_OPTION = "switchboard_write"
# One writer at a time (the gate) plus concurrent readers. Fixed, with no overflow: an
# overflow connection is closed when returned, and reopening one costs a thread and 4 PRAGMAs.
_SQLITE_POOL_SIZE = 8


def normalize_url(url: str) -> str:
    """Point a database URL at the async driver: aiosqlite for SQLite, asyncpg for PostgreSQL.

    Raises:
        ConfigError: the URL is not one of ``sqlite://``, ``postgresql://`` (or ``postgres://``)
            and their async forms.
    """
    scheme, separator, rest = url.partition("://")
    target = _SCHEMES.get(scheme.lower()) if separator else None
    if target is None:
        # Name only the scheme: the rest of the URL may carry a password.
        raise ConfigError(
            "DATABASE_URL",
            f"unsupported database URL scheme {scheme if separator else '(none)'!r}; "
            "use sqlite:///path/to/file.db or postgresql://user@host/dbname",
        )
    return f"{target}://{rest}"


def create_engine(url: str) -> AsyncEngine:
    """Create the async engine for a database URL (see :func:`normalize_url`).

    For SQLite, the database file's directory is created if missing.

    Raises:
        ConfigError: the URL is unsupported or malformed, or the SQLite directory cannot be
            created.
    """
    try:
        parsed = make_url(normalize_url(url))
    except ArgumentError as exc:
        raise ConfigError("DATABASE_URL", "is not a valid database URL") from exc
    if parsed.get_backend_name() == "sqlite":
        _ensure_directory(parsed)
        engine = create_async_engine(
            parsed, pool_size=_SQLITE_POOL_SIZE, max_overflow=0, pool_timeout=30
        )
        event.listen(engine.sync_engine, "connect", _on_sqlite_connect)
        event.listen(engine.sync_engine, "begin", _on_sqlite_begin)
    else:
        engine = create_async_engine(
            parsed,
            pool_pre_ping=True,
            pool_size=5,
            max_overflow=10,
            pool_timeout=10,
            pool_recycle=1800,
        )
    log.debug(
        "database_engine_created",
        dialect=parsed.get_backend_name(),
        host=parsed.host,
        database=parsed.database,
    )
    return engine


class Begins(Protocol):
    """What the stores need of a write view: ``async with view.begin() as connection``."""

    def begin(self) -> AbstractAsyncContextManager[AsyncConnection]:
        """A connection in a transaction, committed on success and rolled back on error."""
        ...


class WriteGate:
    """A FIFO queue of one engine's writers, so SQLite's busy handler never arbitrates.

    The lock is made on first use in each event loop: an ``asyncio.Lock`` belongs to one loop,
    and tests run engines in many.
    """

    __slots__ = ("_lock", "_loop")

    def __init__(self) -> None:
        self._lock: asyncio.Lock | None = None
        self._loop: weakref.ref[asyncio.AbstractEventLoop] | None = None

    def lock(self) -> asyncio.Lock:
        """This event loop's lock (FIFO: a newcomer never overtakes a waiter)."""
        loop = asyncio.get_running_loop()
        if self._lock is None or self._loop is None or self._loop() is not loop:
            self._lock, self._loop = asyncio.Lock(), weakref.ref(loop)
        return self._lock


class _GatedEngine:
    """An engine whose transactions wait for the gate before checking out a connection."""

    __slots__ = ("_engine", "_gate")

    def __init__(self, engine: AsyncEngine, gate: WriteGate) -> None:
        self._engine = engine
        self._gate = gate

    @asynccontextmanager
    async def begin(self) -> AsyncIterator[AsyncConnection]:
        async with self._gate.lock(), self._engine.begin() as connection:
            yield connection


# Per engine, not per view: every store calls views() on the same engine and must share it.
_GATES: weakref.WeakKeyDictionary[object, WriteGate] = weakref.WeakKeyDictionary()


@dataclass(frozen=True, slots=True)
class EngineViews:
    """One engine (one pool) seen the three ways the stores use it.

    Attributes:
        dialect: which database this is.
        read: for one-statement reads.
        write: for one-statement writes.
        transaction: for several statements that must commit together (writes first).
    """

    dialect: Dialect
    read: AsyncEngine
    write: Begins
    transaction: Begins


def views(engine: AsyncEngine) -> EngineViews:
    """The three views of an engine made by :func:`create_engine`.

    On SQLite, ``write`` and ``transaction`` share the engine's :class:`WriteGate`.

    Raises:
        StorageError: the engine's dialect is neither SQLite nor PostgreSQL.
    """
    name = engine.dialect.name
    if name == "sqlite":
        gate = _GATES.setdefault(engine.sync_engine, WriteGate())
        immediate = _GatedEngine(engine.execution_options(**{_WRITE_OPTION: True}), gate)
        return EngineViews("sqlite", read=engine, write=immediate, transaction=immediate)
    if name == "postgresql":
        autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")
        return EngineViews("postgresql", read=autocommit, write=autocommit, transaction=engine)
    raise StorageError(f"unsupported database dialect {name!r}")


def _ensure_directory(url: URL) -> None:
    database = url.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        return
    directory = Path(database).parent
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(
            "DATABASE_URL", f"cannot create the SQLite directory {str(directory)!r}: {exc}"
        ) from exc


def _on_sqlite_connect(dbapi_connection: Any, _record: object) -> None:
    # Driver-level autocommit: SQLAlchemy's "begin" hook below then owns every BEGIN.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        for pragma in _SQLITE_PRAGMAS:
            cursor.execute(pragma)
    finally:
        cursor.close()


def _on_sqlite_begin(connection: Connection) -> None:
    immediate = connection.get_execution_options().get(_WRITE_OPTION, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
