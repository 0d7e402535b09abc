"""Pinned facts and the stored rolling summary of each thread."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.engine import Connection

from agents.kernel.models import ConversationKey
from agents.memory.threads import ThreadMemory, ThreadMemoryStore
from storage._seam import SqlStore, count_changed, insert, translated
from storage.engine import Dialect
from storage.tables import thread_memory

__all__ = ["SqlThreadMemoryStore"]


def _where(key: ConversationKey) -> tuple[Any, ...]:
    return (
        thread_memory.c.team_id == key.team_id,
        thread_memory.c.channel_id == key.channel_id,
        thread_memory.c.thread_ts == key.thread_ts,
    )


class SqlThreadMemoryStore(SqlStore, ThreadMemoryStore):
    """``ThreadMemoryStore`` on SQL: one ``thread_memory`` row per thread."""

    async def get(self, key: ConversationKey) -> ThreadMemory:
        """The thread's memory (empty when none is stored)."""
        with translated("read a thread's memory"):
            return await self._db.quick.run(_get, key)

    async def pin(self, key: ConversationKey, fact: str, *, now: datetime) -> ThreadMemory:
        """Add a fact (once), in one transaction."""
        with translated("pin a fact"):
            return await self._db.transaction.run(_pin, self._db.dialect, key, fact, now)

    async def save_summary(
        self, key: ConversationKey, *, summary: str, covered: int, now: datetime
    ) -> None:
        """Replace the stored summary."""
        with translated("store a thread summary"):
            await self._db.transaction.run(_save, self._db.dialect, key, summary, covered, now)

    async def purge(self, *, before: datetime) -> int:
        """Delete thread memory not touched since ``before``."""
        statement = delete(thread_memory).where(thread_memory.c.updated_at < before)
        return await count_changed(self._db.write, statement, action="purge thread memory")


def _get(connection: Connection, key: ConversationKey) -> ThreadMemory:
    row = connection.execute(select(thread_memory).where(*_where(key))).first()
    if row is None:
        return ThreadMemory()
    return ThreadMemory(tuple(str(f) for f in row.facts or ()), row.summary, row.covered)


def _ensure(connection: Connection, dialect: Dialect, key: ConversationKey, now: datetime) -> None:
    statement = insert(dialect, thread_memory).values(
        team_id=key.team_id,
        channel_id=key.channel_id,
        thread_ts=key.thread_ts,
        facts=[],
        summary="",
        covered=0,
        updated_at=now,
    )
    connection.execute(statement.on_conflict_do_nothing())


def _pin(
    connection: Connection, dialect: Dialect, key: ConversationKey, fact: str, now: datetime
) -> ThreadMemory:
    _ensure(connection, dialect, key, now)
    read = select(thread_memory.c.facts).where(*_where(key))
    if dialect == "postgresql":
        read = read.with_for_update()
    facts = list(connection.execute(read).scalar_one() or [])
    if fact not in facts:
        facts.append(fact)
        connection.execute(
            update(thread_memory).where(*_where(key)).values(facts=facts, updated_at=now)
        )
    return _get(connection, key)


def _save(
    connection: Connection,
    dialect: Dialect,
    key: ConversationKey,
    summary: str,
    covered: int,
    now: datetime,
) -> None:
    _ensure(connection, dialect, key, now)
    connection.execute(
        update(thread_memory)
        .where(*_where(key))
        .values(summary=summary, covered=covered, updated_at=now)
    )
