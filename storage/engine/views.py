"""One engine seen the ways the stores use it: reads, writes, transactions and quick reads.

Writes on SQLite begin ``IMMEDIATE``; one-statement work on PostgreSQL runs in autocommit (one
round trip, no BEGIN/COMMIT). Write views offer ``begin()`` (an ``AsyncConnection`` in a
transaction) and ``run(work, ...)`` (a synchronous function of a ``Connection``, run in one
transaction).

SQLite has one writer at a time. Left to SQLite, writers that find the lock taken sleep in
its busy handler and retry (up to 100 ms between tries) while the lock sits free. So this
process's writers queue in asyncio instead: one FIFO :class:`WriteGate` per engine, taken
before a connection is checked out and held until it is returned. The busy timeout stays for
other processes (``switchboard db upgrade``, a second bot). Reads never queue (WAL). On a
SQLite file, ``run`` executes the whole transaction at once on the event loop's thread
(:mod:`storage.engine.inline`), not through aiosqlite, and the ``run`` transactions made
ready in one step of the event loop commit together (:class:`_InlineBatches`).
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Any, Concatenate, Literal, ParamSpec, Protocol, TypeVar

from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.util import await_, greenlet_spawn

from agents.kernel.errors import StorageError
from storage.batching import GroupCommit
from storage.engine.inline import InlineReads, InlineWrites
from storage.engine.prepared import Prepared, Rows, _Plan
from storage.engine.sqlite_hooks import WRITE_OPTION, is_file

__all__ = ["Dialect", "EngineViews", "Reads", "WriteGate", "Writes", "truncate_wal", "views"]

Dialect = Literal["sqlite", "postgresql"]

_P = ParamSpec("_P")
_T = TypeVar("_T")


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

        ``work`` must only touch the database (on SQLite it may run twice, see
        :mod:`storage.engine.inline`).
        """
        ...

    async def execute(self, statement: Prepared, values: Mapping[str, Any]) -> Rows:
        """One statement with ``values``, as ``run`` would run it; its rows once committed."""
        ...


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


class _AsyncReads:
    """Reads through the async engine (PostgreSQL, in-memory SQLite).

    ``run`` checks a connection out, runs the work and returns the connection in one greenlet
    of the engine's sync side: ``AsyncEngine.connect()`` and ``run_sync`` take three (check
    out, work, close), about 130 µs of CPU per statement on PostgreSQL where the round trip
    itself costs about 20 µs (benchmarks/README.md, issue 19, third pass).
    """

    __slots__ = ("_direct", "_engine")
    _in_transaction = False

    def __init__(self, engine: AsyncEngine, *, direct: bool = False) -> None:
        self._engine = engine
        self._direct = direct  # an autocommit engine: statements may run on asyncpg itself

    async def run(
        self,
        work: Callable[Concatenate[Connection, _P], _T],
        /,
        *args: _P.args,
        **kwargs: _P.kwargs,
    ) -> _T:
        return await greenlet_spawn(
            _connected, self._engine.sync_engine, self._in_transaction, work, args, kwargs
        )

    async def execute(self, statement: Prepared, values: Mapping[str, Any]) -> Rows:
        """On an autocommit engine, a :class:`Prepared` statement runs on asyncpg's connection
        itself (:func:`_on_asyncpg`): SQLAlchemy's ``Connection``, its isolation level set
        and reset per checkout, and the adapter's cursor cost more than the round trip."""
        engine = self._engine.sync_engine
        plan = statement.plan(engine.dialect, values) if self._direct else None
        if plan is None or not plan.on_asyncpg:
            return await self.run(_fetched, statement, values)
        return await greenlet_spawn(_on_asyncpg, engine, plan, values)


class _AsyncWrites(_AsyncReads):
    """Writes on PostgreSQL: straight to the engine (the database orders its writers), each
    in a transaction of its own (none on the autocommit engine: one statement)."""

    __slots__ = ()
    _in_transaction = True

    def begin(self) -> AbstractAsyncContextManager[AsyncConnection]:
        return self._engine.begin()


def _connected(
    engine: Engine,
    in_transaction: bool,
    work: Callable[..., _T],
    args: tuple[object, ...],
    kwargs: dict[str, object],
) -> _T:
    """``work`` on a connection of ``engine`` (committed, with ``in_transaction``)."""
    with engine.begin() if in_transaction else engine.connect() as connection:
        return work(connection, *args, **kwargs)


def _fetched(connection: Connection, statement: Prepared, values: Mapping[str, Any]) -> Rows:
    result = statement.execute(connection, values)
    if isinstance(result, Rows):
        return result
    return Rows(list(result.all()) if result.returns_rows else [], result.rowcount)


def _on_asyncpg(engine: Engine, plan: _Plan, values: Mapping[str, Any]) -> Rows:
    """``plan`` on a pooled connection's asyncpg connection, in autocommit: checked out (the
    pool's checkout events, such as the liveness check, run), the statement awaited, and
    returned (or invalidated when the statement found the connection lost)."""
    pooled = engine.raw_connection()
    try:
        return await_(plan.run_on_asyncpg(pooled.dbapi_connection, engine.dialect, values))
    except DBAPIError as exc:
        if exc.connection_invalidated:
            pooled.invalidate(exc.orig)
        raise
    finally:
        pooled.close()


class _InlineBatches:
    """A SQLite file's inline transactions, those made ready in one loop step committed
    together (:class:`~storage.batching.GroupCommit`, lingering one step).

    Under load the claims of several acks and the records and completions of several turns
    become ready in the same step of the event loop; one ``BEGIN IMMEDIATE`` and one
    ``COMMIT`` (SQLite writes each changed page to the WAL once per commit) then serve them
    all. Each caller's result comes only once its transaction committed. A batch that fails
    committed nothing, and each of its works is then run alone, so one failing work fails
    only its caller; a work may therefore run twice (it only touches the database).
    """

    __slots__ = ("_gate", "_group", "_inline")

    def __init__(self, gate: WriteGate, inline: InlineWrites) -> None:
        self._gate = gate
        self._inline = inline
        self._group: GroupCommit[Callable[[Connection], object], object] = GroupCommit(
            self._run_all, self._run_one, linger=True
        )

    async def run(self, work: Callable[[Connection], _T]) -> _T:
        return await self._group.submit(work)  # type: ignore[return-value]

    async def _run_one(self, work: Callable[[Connection], object]) -> object:
        async with self._gate.lock():
            return await self._inline.run(work)

    async def _run_all(self, works: Sequence[Callable[[Connection], object]]) -> list[object]:
        if len(works) == 1:
            return [await self._run_one(works[0])]
        async with self._gate.lock():
            return await self._inline.run(lambda connection: [work(connection) for work in works])


class _SqliteWrites:
    """Writes on SQLite: each waits for the engine's gate, then runs inline when it can."""

    __slots__ = ("_batches", "_engine", "_gate", "_inline")

    def __init__(
        self,
        engine: AsyncEngine,
        gate: WriteGate,
        inline: InlineWrites | None,
        batches: _InlineBatches | None,
    ) -> None:
        self._engine = engine.execution_options(**{WRITE_OPTION: True})
        self._gate = gate
        self._inline = inline
        self._batches = batches

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
        if self._batches is None:  # an in-memory database: only the async engine can see it
            async with self.begin() as connection:
                return await connection.run_sync(work, *args, **kwargs)

        def bound(connection: Connection) -> _T:
            return work(connection, *args, **kwargs)

        return await self._batches.run(bound)

    async def execute(self, statement: Prepared, values: Mapping[str, Any]) -> Rows:
        return await self.run(_fetched, statement, values)


# Per engine, not per view: every store calls views() on the same engine and must share them.
# Neither refers back to the engine, so an engine no one uses any more goes away with them.
_Shared = tuple[WriteGate, InlineWrites | None, _InlineBatches | None]
_SQLITE_SHARED: weakref.WeakKeyDictionary[Engine, _Shared] = weakref.WeakKeyDictionary()
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
    """The three views of an engine made by :func:`~storage.engine.create_engine`.

    On SQLite, ``write`` and ``transaction`` are one object: they share the engine's
    :class:`WriteGate` and its inline connection.

    Raises:
        StorageError: the engine's dialect is neither SQLite nor PostgreSQL.
    """
    name = engine.dialect.name
    if name == "sqlite":
        shared = _SQLITE_SHARED.get(engine.sync_engine)
        if shared is None:
            shared = _SQLITE_SHARED[engine.sync_engine] = _sqlite_shared(engine)
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
            write=_AsyncWrites(autocommit, direct=True),
            transaction=_AsyncWrites(engine),
            quick=_AsyncReads(autocommit, direct=True),
        )
    raise StorageError(f"unsupported database dialect {name!r}")


async def truncate_wal(engine: AsyncEngine) -> bool:
    """Checkpoint a SQLite file's WAL into the database and truncate it, holding the engine's
    write gate (the process's writers wait; other processes' are kept off by SQLite); False
    when it could not finish, or the engine is not a SQLite file's."""
    views(engine)  # makes the shared gate and inline writer if none exists yet
    gate, inline, _ = _SQLITE_SHARED.get(engine.sync_engine, (None, None, None))
    if gate is None or inline is None:
        return False
    async with gate.lock():
        return await asyncio.to_thread(inline.truncate_wal)


def _sqlite_shared(engine: AsyncEngine) -> _Shared:
    gate = WriteGate()
    inline = InlineWrites.of(engine, gate)
    return gate, inline, None if inline is None else _InlineBatches(gate, inline)


def _quick_reads(engine: AsyncEngine) -> Reads:
    return InlineReads.of(engine) if is_file(engine.url) else _AsyncReads(engine)
