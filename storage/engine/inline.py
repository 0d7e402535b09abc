"""Transactions and short reads of a SQLite file, run on the event loop's thread.

Through aiosqlite every statement costs three or four round trips to the connection's thread,
and the write gate is held across all of them while the loop serves other requests. Measured
on the benchmark's machine, a claim took 1.0 ms of loop CPU and about 1.3 ms of wall time
through aiosqlite, 0.3 ms inline. An inline transaction is a few single-row statements; it
never waits for a lock (``busy_timeout=0``: when another process holds it, the work is redone
in a worker thread on a connection that waits) and never checkpoints (the fsyncs, up to
20 ms, run in a worker thread every hundred commits).

Checkpoints in two steps keep the WAL from growing without end under a steady load. SQLite
starts its WAL over only when a write begins on a WAL wholly copied into the database, and
under load a commit always lands while a checkpoint copies: the WAL grew to 195 MB beside a
5 MB database in 15 s of the benchmark (benchmarks/README.md, issue 19, fourth pass), every
write extended the file, and every read searched a longer WAL index. So the bulk is copied
first (``PASSIVE``, writers go on), then, holding the write gate, what came meanwhile
(``RESTART``: readers of the old WAL are waited for, and the next commit writes from the
WAL's start).
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Concatenate, ParamSpec, Protocol, TypeVar

import sqlalchemy
import structlog
from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, Engine
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import NullPool, StaticPool

from storage.engine.sqlite_hooks import is_file, on_connect

__all__ = ["InlineReads", "InlineWrites"]

log = structlog.get_logger(__name__)

# Inline commits between two checkpoints (SQLite's default is every 1000 pages): at about 20
# pages a grouped commit, the WAL stays under journal_size_limit (8 MiB) and is rewritten in
# place, not cut back and extended again.
_CHECKPOINT_EVERY = 100
# How long the restarting checkpoint waits for readers of the old WAL (writers wait too).
_RESTART_WAIT_MS = 100
# A truncating checkpoint waits this long for readers to move on: it runs before Slack is
# acknowledged, which must happen within three seconds.
_TRUNCATE_WAIT_MS = 1000
_P = ParamSpec("_P")
_T = TypeVar("_T")


class Gate(Protocol):
    """The engine's write gate (:class:`storage.engine.views.WriteGate`)."""

    def lock(self) -> asyncio.Lock:
        """This event loop's lock of the gate."""
        ...


class InlineWrites:
    """Write transactions of a SQLite file, run synchronously on the event loop's thread.

    One connection (``busy_timeout=0``, no automatic checkpoints) used only while the engine's
    gate is held. See the module docstring for why and for what it never does.
    """

    def __init__(self, url: URL, gate: Gate) -> None:
        self._gate = gate
        sync_url = url.set(drivername="sqlite")
        self._inline = sqlalchemy.create_engine(
            sync_url, poolclass=StaticPool, connect_args={"check_same_thread": False}
        )
        event.listen(self._inline, "connect", _on_inline_connect)
        event.listen(self._inline, "begin", _begin_immediate)
        self._waiting = sqlalchemy.create_engine(sync_url, poolclass=NullPool)
        event.listen(self._waiting, "connect", on_connect)
        event.listen(self._waiting, "begin", _begin_immediate)
        self._connection: Connection | None = None  # kept checked out: no pool trip per write
        self._executor: ThreadPoolExecutor | None = None
        # The checkpoints' connection, opened in the executor's one thread and kept there:
        # opening one (WAL, the PRAGMAs) cost 0.44 ms of CPU, twice a checkpoint.
        self._checkpointer: _Checkpointer | None = None
        self._checkpoint: asyncio.Task[None] | None = None
        self._commits = 0
        self._restart_backoff = 0  # checkpoints without a restart after the last busy one
        self._skip_restarts = 0

    @classmethod
    def of(cls, engine: AsyncEngine, gate: Gate) -> InlineWrites | None:
        """The inline writer of a SQLite file's engine, whose writers queue at ``gate``
        (None for an in-memory database)."""
        if not is_file(engine.url):
            return None
        inline = cls(engine.url, gate)
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
        running = self._checkpoint
        loop = asyncio.get_running_loop()
        if running is not None and not running.done() and running.get_loop() is loop:
            return
        self._checkpoint = loop.create_task(self._checkpoint_twice(), name="sqlite-checkpoint")

    async def _checkpoint_twice(self) -> None:
        """Copy the WAL into the database while writers go on, then the rest with the gate
        held, so that the next commit starts the WAL over (see the module docstring). After
        a reader kept it from starting over, the gate is taken only every 2, 4 ... 32
        checkpoints, so a long read elsewhere does not stall the writers every time."""
        if self._executor is None:
            self._executor = ThreadPoolExecutor(1, thread_name_prefix="sqlite-checkpoint")
        executor, loop = self._executor, asyncio.get_running_loop()
        try:
            await loop.run_in_executor(executor, self._run_checkpoint, "PASSIVE")
            if self._skip_restarts > 0:
                self._skip_restarts -= 1
                return
            async with self._gate.lock():
                restarted = await loop.run_in_executor(executor, self._run_checkpoint, "RESTART")
        except RuntimeError:  # the executor was shut down: the engine is being disposed
            return
        self._restart_backoff = 0 if restarted else min(2 * self._restart_backoff or 1, 32)
        self._skip_restarts = self._restart_backoff

    def _run_checkpoint(self, mode: str) -> bool:
        """A checkpoint in ``mode``; whether it finished (no reader kept it from it).

        PASSIVE copies what no reader still needs, and never waits for nor blocks anyone;
        RESTART (run holding the gate) also waits, briefly, for the readers of the old WAL.
        """
        try:
            if self._checkpointer is None:
                self._checkpointer = _Checkpointer(self._waiting.raw_connection())
            busy = self._checkpointer.run(mode, wait_ms=_RESTART_WAIT_MS)
        except sqlite3.Error as exc:
            log.warning("sqlite_checkpoint_failed", mode=mode, error=str(exc))
            self._close_checkpointer()  # opened again for the next one
            return False
        if busy and mode == "RESTART":
            log.info("sqlite_wal_not_restarted")  # a reader held on
        return not busy

    def _close_checkpointer(self) -> None:
        checkpointer, self._checkpointer = self._checkpointer, None
        if checkpointer is not None:
            checkpointer.close()

    def truncate_wal(self) -> bool:
        """Copy the whole WAL into the database file and truncate it to zero bytes, so that
        no page of it still holds what was deleted (erasure); False if a reader kept it from
        finishing within the busy timeout. Blocking: run it in a thread, holding the gate."""
        connection = self._waiting.raw_connection()
        try:
            driver = connection.driver_connection
            driver.execute(f"PRAGMA busy_timeout={_TRUNCATE_WAIT_MS}")  # type: ignore[union-attr]
            busy, _, _ = driver.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()  # type: ignore[union-attr]
        except sqlite3.Error as exc:
            log.warning("sqlite_wal_truncate_failed", error=str(exc))
            return False
        finally:
            connection.close()
        if busy:
            log.warning("sqlite_wal_truncate_busy")
        return not busy

    def close(self) -> None:
        """Finish a running checkpoint and close the connections (they reopen when used)."""
        checkpoint, self._checkpoint = self._checkpoint, None
        if checkpoint is not None and not checkpoint.get_loop().is_closed():
            checkpoint.cancel()  # waiting for the gate, or for the step under way below
        if self._executor is not None:
            self._executor.submit(self._close_checkpointer)  # in the thread that opened it
            self._executor.shutdown(wait=True)
            self._executor = None
        if self._connection is not None:
            self._connection.close()
            self._connection = None
        self._inline.dispose()
        self._waiting.dispose()


class InlineReads:
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
        event.listen(self._engine, "connect", on_connect)
        self._connection: Connection | None = None

    @classmethod
    def of(cls, engine: AsyncEngine) -> InlineReads:
        """The inline reader of a SQLite file's engine, closed when the engine is disposed."""
        reads = cls(engine.url)
        event.listen(engine.sync_engine, "engine_disposed", lambda _engine: reads.close())
        return reads

    async def run(
        self,
        work: Callable[Concatenate[Connection, _P], _T],
        /,
        *args: _P.args,
        **kwargs: _P.kwargs,
    ) -> _T:
        """``work(connection, *args, **kwargs)`` on the inline connection; it must only read."""
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


class _Checkpointer:
    """A connection kept for checkpoints: each runs as on a connection just opened (its
    busy timeout set back to the one it was opened with); between them it holds no snapshot
    that would keep a checkpoint elsewhere waiting (tests/storage/test_sqlite_checkpoints.py)."""

    def __init__(self, connection: Any) -> None:
        self._connection = connection
        self._driver: sqlite3.Connection = connection.driver_connection
        self._opened_wait = self._driver.execute("PRAGMA busy_timeout").fetchone()[0]

    def run(self, mode: str, *, wait_ms: int) -> bool:
        """``wal_checkpoint(mode)`` (RESTART waiting ``wait_ms`` for readers); whether a
        reader or writer kept it from finishing."""
        wait = wait_ms if mode == "RESTART" else self._opened_wait
        self._driver.execute(f"PRAGMA busy_timeout={wait}")
        # One row fetched, not stepped to the end, as on a connection opened for it: stepped
        # to its end, a RESTART left the next writer appending to the old WAL (measured).
        busy, _, _ = self._driver.execute(f"PRAGMA wal_checkpoint({mode})").fetchone()
        return bool(busy)

    def close(self) -> None:
        """Close the connection."""
        self._connection.close()


def _waiting_transaction(engine: Engine, work: Callable[[Connection], _T]) -> _T:
    with engine.begin() as connection:
        return work(connection)


def _is_busy(exc: OperationalError) -> bool:
    code = getattr(exc.orig, "sqlite_errorcode", None)
    return code is not None and code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


def _on_inline_connect(dbapi_connection: Any, record: object) -> None:
    on_connect(dbapi_connection, record)
    dbapi_connection.execute("PRAGMA busy_timeout=0")
    dbapi_connection.execute("PRAGMA wal_autocheckpoint=0")


def _begin_immediate(connection: Connection) -> None:
    # Straight on the driver (a tenth of the cost of exec_driver_sql); errors are wrapped the
    # way SQLAlchemy wraps a statement's, so callers see one kind.
    try:
        connection.connection.driver_connection.execute("BEGIN IMMEDIATE")  # type: ignore[union-attr]
    except sqlite3.Error as exc:
        raise DBAPIError.instance("BEGIN IMMEDIATE", None, exc, sqlite3.Error) from exc
