"""``ConversationLocks``: one turn at a time per thread.

SQLite serves one bot process (the process lock guarantees it), so an ``asyncio.Lock`` per
thread is the whole truth. On PostgreSQL every replica shares a leased row per thread: taken
with one ``INSERT … ON CONFLICT DO UPDATE … WHERE the lease ran out`` and deleted when the
turn ends. No connection is held while the turn runs, and a replica that dies mid-turn
blocks its thread only until the lease runs out.

A turn's record is the last thing it does under the lock (``agents.turns.turns``): on
PostgreSQL the record's statement deletes the lease row too (:mod:`storage.turn_record_pg`),
found through :func:`held_lease` by the ledger, so ``hold`` has nothing left to give back and
saves the round trip. A record that did not release it (it failed, or took the transaction
path) leaves the lease to ``hold``, which deletes it as before.
"""

from __future__ import annotations

import asyncio
import uuid
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import timedelta
from functools import cache

import structlog
from sqlalchemy import bindparam, delete, func, literal_column, select
from sqlalchemy.ext.asyncio import AsyncEngine

from agents.kernel.models import ConversationKey
from storage._seam import SqlStore, execute, translated
from storage.engine import Prepared, views
from storage.tables import conversation_locks

__all__ = ["Lease", "LocalLocks", "SqlConversationLocks", "held_lease", "locks_for"]

log = structlog.get_logger(__name__)

_LEASE = timedelta(minutes=2)
_FIRST_WAIT = 0.01
_MAX_WAIT = 0.2


def _key(key: ConversationKey) -> str:
    return f"{key.team_id}:{key.channel_id}:{key.thread_ts}"


@dataclass(slots=True)
class Lease:
    """The lease row a task holds on a conversation: its key and owner, and whether a
    statement already deleted it (the turn's record)."""

    name: str
    owner: str
    released: bool = False


_HELD: ContextVar[Lease | None] = ContextVar("switchboard_conversation_lease", default=None)


def held_lease(key: ConversationKey) -> Lease | None:
    """The lease this task holds on the conversation ``key`` (PostgreSQL), if any."""
    lease = _HELD.get()
    return lease if lease is not None and lease.name == _key(key) else None


class LocalLocks:
    """An ``asyncio.Lock`` per thread, for the one process that owns a SQLite database."""

    def __init__(self) -> None:
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    @asynccontextmanager
    async def hold(self, key: ConversationKey) -> AsyncIterator[None]:
        """Wait for the thread's lock, hold it for the block."""
        name = _key(key)
        lock = self._locks.get(name)
        if lock is None:
            lock = self._locks[name] = asyncio.Lock()
        async with lock:
            yield


class SqlConversationLocks(SqlStore):
    """A leased row per thread in PostgreSQL, shared by every replica."""

    def __init__(self, engine: AsyncEngine, *, lease: timedelta = _LEASE) -> None:
        super().__init__(engine)
        self._lease = lease
        self._local = LocalLocks()  # turns of this replica queue here, not on the database

    @asynccontextmanager
    async def hold(self, key: ConversationKey) -> AsyncIterator[None]:
        """Take the thread's lease (waiting, with backoff, while another replica has it)."""
        async with self._local.hold(key):
            lease = Lease(_key(key), uuid.uuid4().hex)
            await self._take(lease.name, lease.owner)
            token = _HELD.set(lease)
            try:
                yield
            finally:
                _HELD.reset(token)
                if not lease.released:
                    await self._give_back(lease.name, lease.owner)

    async def _take(self, name: str, owner: str) -> None:
        statement = _take_statement(int(self._lease.total_seconds()))
        values = {"l_key": name, "l_owner": owner}
        wait = _FIRST_WAIT
        while True:
            with translated("take a conversation lock"):
                taken = await self._db.write.execute(statement, values)
            if taken.first() is not None:
                return
            await asyncio.sleep(wait)
            wait = min(wait * 2, _MAX_WAIT)

    async def _give_back(self, name: str, owner: str) -> None:
        statement = delete(conversation_locks).where(
            conversation_locks.c.key == name, conversation_locks.c.owner == owner
        )
        try:
            await execute(self._db.write, statement, action="release a conversation lock")
        except Exception:  # the lease runs out by itself; the turn's answer is what matters
            log.exception("conversation_lock_not_released")


@cache
def _take_statement(lease_seconds: int) -> Prepared:
    """``INSERT … ON CONFLICT DO UPDATE … WHERE the lease ran out``, built once per lease."""
    from sqlalchemy.dialects import postgresql  # only PostgreSQL leases rows

    now = func.now()
    expires = now + literal_column(f"interval '{lease_seconds} seconds'")
    owner = bindparam("l_owner", type_=conversation_locks.c.owner.type)
    insert = postgresql.insert(conversation_locks).from_select(
        ["key", "owner", "expires_at"],
        select(bindparam("l_key", type_=conversation_locks.c.key.type), owner, expires),
    )
    statement = insert.on_conflict_do_update(
        index_elements=[conversation_locks.c.key],
        set_={"owner": insert.excluded.owner, "expires_at": expires},
        where=conversation_locks.c.expires_at < now,
    ).returning(conversation_locks.c.owner)
    return Prepared(statement)


def locks_for(engine: AsyncEngine) -> LocalLocks | SqlConversationLocks:
    """The conversation locks that fit the engine."""
    return LocalLocks() if views(engine).dialect == "sqlite" else SqlConversationLocks(engine)
