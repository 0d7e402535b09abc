"""Engines: ``DATABASE_URL`` to an ``AsyncEngine`` for SQLite (aiosqlite) or PostgreSQL (asyncpg).

SQLite connections run in WAL mode with a busy timeout and foreign keys on, and SQLAlchemy
emits ``BEGIN`` itself (instead of the driver's implicit one) so transactions, DDL included,
are atomic. :func:`views` gives the stores the same engine three ways: writes begin
``IMMEDIATE`` on SQLite, and one-statement work runs in autocommit on PostgreSQL (one round
trip, no BEGIN/COMMIT). Write views offer ``begin()`` (an ``AsyncConnection`` in a
transaction) and ``run(work, ...)`` (a synchronous function of a ``Connection``, run in one
transaction).

SQLite has one writer at a time. Left to SQLite, writers that find the lock taken sleep in
its busy handler and retry (up to 100 ms between tries) while the lock sits free. So this
process's writers queue in asyncio instead: one FIFO :class:`WriteGate` per engine, taken
before a connection is checked out and held until it is returned. The busy timeout stays for
other processes (``switchboard db upgrade``, a second bot). Reads never queue (WAL).

On a SQLite file, ``run`` executes the whole transaction at once on the event loop's thread
(:class:`_InlineSqlite`), not through aiosqlite: there every statement costs three or four
round trips to the connection's thread, and the gate is held across all of them while the
loop serves other requests. Measured on the benchmark's machine, a claim took 1.0 ms of loop
CPU and about 1.3 ms of wall time through aiosqlite, 0.3 ms inline. An inline transaction is
a few single-row statements; it never waits for a lock (``busy_timeout=0``: when another
process holds it, the work is redone in a worker thread on a connection that waits) and
never checkpoints (the fsyncs, up to 20 ms, run in a worker thread every few hundred commits).
"""

from __future__ import annotations

import asyncio
import sqlite3
import weakref
from collections.abc import AsyncIterator, Callable
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Concatenate, Literal, ParamSpec, Protocol, TypeVar

import sqlalchemy
import structlog
from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool, StaticPool

from agents.kernel.errors import ConfigError, StorageError

__all__ = [
    "Dialect",
    "EngineViews",
    "PoolOptions",
    "Reads",
    "WriteGate",
    "Writes",
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
_CHECKPOINT_EVERY = 250  # inline commits between two checkpoints (the default is 1000 pages)
_P = ParamSpec("_P")
_T = TypeVar("_T")
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


@dataclass(frozen=True, slots=True)
class PoolOptions:
    """PostgreSQL connection pool and statement limits (SQLite ignores them).

    Attributes:
        size: connections kept open; max_overflow: extra ones under load.
        statement_timeout_ms: the server cancels a statement running longer (None: never).
    """

    size: int = 5
    max_overflow: int = 10
    statement_timeout_ms: int | None = None


def create_engine(url: str, *, pool: PoolOptions | None = None) -> AsyncEngine:
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
        sqlite_pool = (
            {"pool_size": _SQLITE_POOL_SIZE, "max_overflow": 0, "pool_timeout": 30}
            if _is_file(parsed)
            else {}  # in memory: one connection, shared (StaticPool)
        )
        engine = create_async_engine(parsed, **sqlite_pool)
        event.listen(engine.sync_engine, "connect", _on_sqlite_connect)
        event.listen(engine.sync_engine, "begin", _on_sqlite_begin)
    else:
        options = pool or PoolOptions()
        connect_args: dict[str, Any] = {}
        if options.statement_timeout_ms is not None:
            timeout = str(options.statement_timeout_ms)
            connect_args["server_settings"] = {"statement_timeout": timeout}
        engine = create_async_engine(
            parsed,
            pool_pre_ping=True,
            pool_size=options.size,
            max_overflow=options.max_overflow,
            pool_timeout=10,
            pool_recycle=1800,
            connect_args=connect_args,
        )
    log.debug(
        "database_engine_created",
        dialect=parsed.get_backend_name(),
        host=parsed.host,
        database=parsed.database,
    )
    return engine


class Writes(Protocol):
    """A write view: an ``AsyncConnection`` in a transaction, or a function run in one."""

    def begin(self) -> AbstractAsyncContextManager[AsyncConnection]:
        """A connection in a transaction, committed on success and rolled back on error."""
        ...

    async def run(
        self,
        work: Callable[Concatenate[Connection, _P], _T],
        /,
        *args: _P.args,
        **kwargs: _P.kwargs,
    ) -> _T:
        """``work(connection, *args, **kwargs)`` in one transaction; its result once committed.

        ``work`` must only touch the database (on SQLite it may run twice, see the module).
        """
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


class _AsyncWrites:
    """Writes on PostgreSQL: straight to the engine (the database orders its writers)."""

    __slots__ = ("_engine",)

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    def begin(self) -> AbstractAsyncContextManager[AsyncConnection]:
        return self._engine.begin()

    async def run(
        self,
        work: Callable[Concatenate[Connection, _P], _T],
        /,
        *args: _P.args,
        **kwargs: _P.kwargs,
    ) -> _T:
        async with self._engine.begin() as connection:
            return await connection.run_sync(work, *args, **kwargs)


class _SqliteWrites:
    """Writes on SQLite: each waits for the engine's gate, then runs inline when it can."""

    __slots__ = ("_engine", "_gate", "_inline")

    def __init__(self, engine: AsyncEngine, gate: WriteGate, inline: _InlineSqlite | None) -> None:
        self._engine = engine.execution_options(**{_WRITE_OPTION: True})
        self._gate = gate
        self._inline = inline

    @asynccontextmanager
    async def begin(self) -> AsyncIterator[AsyncConnection]:
        async with self._gate.lock(), self._engine.begin() as connection:
            yield connection

    async def run(
        self,
        work: Callable[Concatenate[Connection, _P], _T],
        /,
        *args: _P.args,
        **kwargs: _P.kwargs,
    ) -> _T:
        if self._inline is None:  # an in-memory database: only the async engine can see it
            async with self.begin() as connection:
                return await connection.run_sync(work, *args, **kwargs)

        def bound(connection: Connection) -> _T:
            return work(connection, *args, **kwargs)

        async with self._gate.lock():
            return await self._inline.run(bound)


class _InlineSqlite:
    """Write transactions of a SQLite file, run synchronously on the event loop's thread.

    One connection (``busy_timeout=0``, no automatic checkpoints) used only while the engine's
    gate is held. See the module docstring for why and for what it never does.
    """

    def __init__(self, url: URL) -> None:
        sync_url = url.set(drivername="sqlite")
        self._inline = sqlalchemy.create_engine(
            sync_url, poolclass=StaticPool, connect_args={"check_same_thread": False}
        )
        event.listen(self._inline, "connect", _on_inline_connect)
        event.listen(self._inline, "begin", _begin_immediate)
        self._waiting = sqlalchemy.create_engine(sync_url, poolclass=NullPool)
        event.listen(self._waiting, "connect", _on_sqlite_connect)
        event.listen(self._waiting, "begin", _begin_immediate)
        self._connection: Connection | None = None  # kept checked out: no pool trip per write
        self._executor: ThreadPoolExecutor | None = None
        self._checkpoint: Future[None] | None = None
        self._commits = 0

    @classmethod
    def of(cls, engine: AsyncEngine) -> _InlineSqlite | None:
        """The inline writer of a SQLite file's engine (None for an in-memory database)."""
        if not _is_file(engine.url):
            return None
        inline = cls(engine.url)
        event.listen(engine.sync_engine, "engine_disposed", lambda _engine: inline.close())
        return inline

    async def run(self, work: Callable[[Connection], _T]) -> _T:
        """Run ``work`` in one transaction inline, or in a thread if another process writes."""
        if self._connection is None or self._connection.invalidated:
            self._connection = self._inline.connect()
        try:
            with self._connection.begin():
                result = work(self._connection)
        except OperationalError as exc:
            if not _is_busy(exc):
                raise
            # Another process writes: wait for it in a thread. The connection is replaced, as
            # SQLAlchemy does not expect a "begin" hook to fail.
            log.info("sqlite_locked_elsewhere")
            self._connection.close()
            self._connection = None
            return await asyncio.to_thread(_waiting_transaction, self._waiting, work)
        self._commits += 1
        if self._commits % _CHECKPOINT_EVERY == 0:
            self._checkpoint_soon()
        return result

    def _checkpoint_soon(self) -> None:
        if self._checkpoint is not None and not self._checkpoint.done():
            return
        if self._executor is None:
            self._executor = ThreadPoolExecutor(1, thread_name_prefix="sqlite-checkpoint")
        self._checkpoint = self._executor.submit(self._run_checkpoint)

    def _run_checkpoint(self) -> None:
        # PASSIVE: copies what no reader still needs, never waits for nor blocks anyone.
        connection = self._waiting.raw_connection()
        try:
            connection.driver_connection.execute("PRAGMA wal_checkpoint(PASSIVE)")  # type: ignore[union-attr]
        except sqlite3.Error as exc:
            log.warning("sqlite_checkpoint_failed", error=str(exc))
        finally:
            connection.close()

    def close(self) -> None:
        """Finish a running checkpoint and close the connections (they reopen when used)."""
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None
        if self._connection is not None:
            self._connection.close()
            self._connection = None
        self._inline.dispose()
        self._waiting.dispose()


class Reads(Protocol):
    """A read view for short, hot reads: a synchronous function of a ``Connection``."""

    async def run(
        self,
        work: Callable[Concatenate[Connection, _P], _T],
        /,
        *args: _P.args,
        **kwargs: _P.kwargs,
    ) -> _T:
        """``work(connection, *args, **kwargs)``; it must only read."""
        ...


class _AsyncReads:
    """Reads through the async engine (PostgreSQL, in-memory SQLite)."""

    __slots__ = ("_engine",)

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def run(
        self,
        work: Callable[Concatenate[Connection, _P], _T],
        /,
        *args: _P.args,
        **kwargs: _P.kwargs,
    ) -> _T:
        async with self._engine.connect() as connection:
            return await connection.run_sync(work, *args, **kwargs)


class _InlineReads:
    """Short reads of a SQLite file, run on the event loop's thread.

    Like the inline writes: an indexed read of a few dozen rows takes about 0.1 ms in SQLite
    and more than ten times that through aiosqlite's thread hops. In WAL mode a reader never
    waits for the writer, so running it inline cannot stall the loop on a lock. One
    connection, autocommit (each statement sees the latest commit).
    """

    def __init__(self, url: URL) -> None:
        self._engine = sqlalchemy.create_engine(
            url.set(drivername="sqlite"),
            poolclass=StaticPool,
            connect_args={"check_same_thread": False},
        )
        event.listen(self._engine, "connect", _on_sqlite_connect)
        self._connection: Connection | None = None

    async def run(
        self,
        work: Callable[Concatenate[Connection, _P], _T],
        /,
        *args: _P.args,
        **kwargs: _P.kwargs,
    ) -> _T:
        if self._connection is None or self._connection.invalidated:
            self._connection = self._engine.connect()
        try:
            return work(self._connection, *args, **kwargs)
        finally:
            self._connection.rollback()  # ends SQLAlchemy's autobegun (driver-less) transaction

    def close(self) -> None:
        """Close the connection (it reopens when used)."""
        if self._connection is not None:
            self._connection.close()
            self._connection = None
        self._engine.dispose()


def _waiting_transaction(engine: Engine, work: Callable[[Connection], _T]) -> _T:
    with engine.begin() as connection:
        return work(connection)


def _is_busy(exc: OperationalError) -> bool:
    code = getattr(exc.orig, "sqlite_errorcode", None)
    return code is not None and code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


# Per engine, not per view: every store calls views() on the same engine and must share them.
# Neither refers back to the engine, so an engine no one uses any more goes away with them.
_SQLITE_SHARED: weakref.WeakKeyDictionary[Engine, tuple[WriteGate, _InlineSqlite | None]] = (
    weakref.WeakKeyDictionary()
)
_SQLITE_READS: weakref.WeakKeyDictionary[Engine, Reads] = weakref.WeakKeyDictionary()


@dataclass(frozen=True, slots=True)
class EngineViews:
    """One engine (one pool) seen the three ways the stores use it.

    Attributes:
        dialect: which database this is.
        read: for one-statement reads.
        quick: for short hot reads (a turn's context): inline on a SQLite file.
        write: for one-statement writes.
        transaction: for several statements that must commit together (writes first).
    """

    dialect: Dialect
    read: AsyncEngine
    write: Writes
    transaction: Writes
    quick: Reads


def views(engine: AsyncEngine) -> EngineViews:
    """The three views of an engine made by :func:`create_engine`.

    On SQLite, ``write`` and ``transaction`` are one object: they share the engine's
    :class:`WriteGate` and its inline connection.

    Raises:
        StorageError: the engine's dialect is neither SQLite nor PostgreSQL.
    """
    name = engine.dialect.name
    if name == "sqlite":
        shared = _SQLITE_SHARED.get(engine.sync_engine)
        if shared is None:
            shared = _SQLITE_SHARED[engine.sync_engine] = (WriteGate(), _InlineSqlite.of(engine))
        writes = _SqliteWrites(engine, *shared)
        quick = _SQLITE_READS.get(engine.sync_engine)
        if quick is None:
            quick = _SQLITE_READS[engine.sync_engine] = _quick_reads(engine)
        return EngineViews("sqlite", read=engine, write=writes, transaction=writes, quick=quick)
    if name == "postgresql":
        autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")
        return EngineViews(
            "postgresql",
            read=autocommit,
            write=_AsyncWrites(autocommit),
            transaction=_AsyncWrites(engine),
            quick=_AsyncReads(autocommit),
        )
    raise StorageError(f"unsupported database dialect {name!r}")


def _quick_reads(engine: AsyncEngine) -> Reads:
    if not _is_file(engine.url):
        return _AsyncReads(engine)
    reads = _InlineReads(engine.url)
    event.listen(engine.sync_engine, "engine_disposed", lambda _engine: reads.close())
    return reads


def _is_file(url: URL) -> bool:
    # A plain path; not ":memory:", nor a "file:" URI (which may name a shared memory database).
    database = url.database or ""
    return database not in ("", ":memory:") and not database.startswith("file:")


def _ensure_directory(url: URL) -> None:
    if not _is_file(url):
        return
    directory = Path(url.database or "").parent
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


def _on_inline_connect(dbapi_connection: Any, record: object) -> None:
    _on_sqlite_connect(dbapi_connection, record)
    dbapi_connection.execute("PRAGMA busy_timeout=0")
    dbapi_connection.execute("PRAGMA wal_autocheckpoint=0")


def _on_sqlite_begin(connection: Connection) -> None:
    immediate = connection.get_execution_options().get(_WRITE_OPTION, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _begin_immediate(connection: Connection) -> None:
    # Straight on the driver (a tenth of the cost of exec_driver_sql); errors are wrapped the
    # way SQLAlchemy wraps a statement's, so callers see one kind.
    try:
        connection.connection.driver_connection.execute("BEGIN IMMEDIATE")  # type: ignore[union-attr]
    except sqlite3.Error as exc:
        raise DBAPIError.instance("BEGIN IMMEDIATE", None, exc, sqlite3.Error) from exc
