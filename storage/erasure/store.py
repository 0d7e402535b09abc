"""The ``Transcript`` on SQL: each erasure in one transaction, then scrubbed.

SQLite zeroes what is deleted or overwritten as it goes (``secure_delete``, set on every
connection), but the WAL keeps the pages as they were before until a checkpoint resets it:
:meth:`SqlTranscript.scrub` checkpoints and truncates it. PostgreSQL keeps a deleted or
updated row as a dead tuple until VACUUM, and even then its bytes stay in the page's free
space and in the server's WAL segments until they are reused; a deep scrub runs VACUUM on
the tables that hold people's words (not after a Slack deletion: it would delay the ack).
"""

from __future__ import annotations

from datetime import datetime

import structlog
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from agents.memory.ports import Erased, Transcript
from storage._seam import SqlStore, translated
from storage.engine import truncate_wal
from storage.erasure.message import erase_message_on
from storage.erasure.person import erase_user_on
from storage.erasure.retention import purge_messages_on

__all__ = ["VACUUMED", "SqlTranscript"]

log = structlog.get_logger(__name__)

VACUUMED = (
    "events",
    "messages",
    "notes",
    "thread_memory",
    "feedback",
    "reviews",
    "knowledge_misses",
    "traces",
    "incident_timeline",
    "incident_followups",
)
"""The tables an erasure deletes or rewrites people's words in (PostgreSQL's deep scrub)."""


class SqlTranscript(SqlStore, Transcript):
    """``Transcript`` on SQL (see :mod:`storage.erasure`)."""

    def __init__(self, engine: AsyncEngine) -> None:
        super().__init__(engine)
        self._engine = engine

    async def erase_message(
        self, *, team_id: str, channel_id: str, ts: str, text: str | None, now: datetime
    ) -> Erased:
        """Store a message's new words (None: it was deleted) and erase every copy of the
        old ones, in one transaction."""
        with translated("erase a message"):
            return await self._db.transaction.run(
                erase_message_on, team_id=team_id, channel_id=channel_id, ts=ts, text=text, now=now
            )

    async def erase_user(self, *, team_id: str | None, user_id: str, now: datetime) -> Erased:
        """Erase everything a person wrote and every copy of it, in one transaction."""
        with translated("erase a person"):
            return await self._db.transaction.run(
                erase_user_on, team_id=team_id, user_id=user_id, now=now
            )

    async def purge(self, *, before: datetime) -> int:
        """Retention of messages (with the forms' words and the summaries quoting them)."""
        with translated("purge old messages"):
            return await self._db.transaction.run(purge_messages_on, before=before)

    async def scrub(self, *, deep: bool) -> None:
        """SQLite: truncate the WAL. PostgreSQL, when ``deep``: VACUUM the tables that hold
        people's words. A scrub that cannot finish is logged, not raised: the words are
        already gone from every query."""
        if self._db.dialect == "sqlite":
            await truncate_wal(self._engine)
        elif deep:
            await self._vacuum()

    async def _vacuum(self) -> None:
        # VACUUM cannot run in a transaction: the read view is in autocommit on PostgreSQL.
        try:
            async with self._db.read.connect() as connection:
                await connection.execute(text(f"VACUUM {', '.join(VACUUMED)}"))
        except (SQLAlchemyError, OSError) as exc:
            log.warning("postgres_vacuum_failed", error=type(exc).__name__)
