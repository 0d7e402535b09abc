"""The database of one Switchboard process: an engine and the stores built on it."""

from __future__ import annotations

from types import TracebackType

import structlog
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from storage._seam import translated
from storage.approvals import SqlApprovalStore
from storage.audit import SqlAuditLog
from storage.conversations import SqlConversationStore
from storage.engine import Dialect, PoolOptions, create_engine, views
from storage.erasure import SqlTranscript
from storage.events import SqlEventStore
from storage.feedback import SqlFeedbackStore
from storage.incidents import SqlIncidentStore
from storage.jobs import SqlJobStore
from storage.knowledge import SqlKnowledgeIndex
from storage.ledger import SqlTurnLedger
from storage.locks import locks_for
from storage.migrate import current_revision, upgrade
from storage.notes import SqlNoteStore
from storage.thread_memory import SqlThreadMemoryStore
from storage.traces import SqlTraceStore
from storage.turn_stops import SqlStopRequests
from storage.usage import SqlRateLimiter, SqlUsageStore
from storage.view_contexts import SqlViewContexts

__all__ = ["Database"]

log = structlog.get_logger(__name__)


class Database:
    """One engine (one connection pool) and the stores that implement the domain's ports.

    Attributes:
        engine: the SQLAlchemy async engine; disposed by :meth:`close`.
        dialect: ``sqlite`` or ``postgresql``.
        events: the ``EventStore``.
        conversations: the ``ConversationStore``.
        traces: the ``TraceStore``.
        ledger: the ``TurnLedger`` (a turn's writes, grouped, over the three stores above).
        approvals: the ``ApprovalStore`` (which also records votes and enqueues jobs).
        jobs: the ``JobStore``.
        audit: the ``AuditLog``.
        usage: the ``UsageStore`` (LLM tokens and cost per call, summed for budgets).
        rate_limits: the ``RateLimiter`` (token buckets shared by every process).
        incidents: the ``IncidentStore``.
        notes: the ``NoteStore`` (long-term memory).
        knowledge: the ``KnowledgeIndex`` (runbooks and the questions they could not answer).
        threads: the ``ThreadMemoryStore`` (pinned facts and rolling summaries).
        feedback: the ``FeedbackStore`` (votes, review labels, the review queue, KPIs).
        locks: the ``ConversationLocks`` (one turn at a time per thread).
        stops: the ``StopRequests`` (Stop pressed in a thread, for every replica).
        contexts: the ``ViewContexts`` (what each person views beside the agent).
        transcript: the ``Transcript`` (every copy of what people said, for erasure).
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.dialect: Dialect = views(engine).dialect
        self.events = SqlEventStore(engine)
        self.conversations = SqlConversationStore(engine)
        self.traces = SqlTraceStore(engine)
        self.ledger = SqlTurnLedger(engine)
        self.approvals = SqlApprovalStore(engine)
        self.jobs = SqlJobStore(engine)
        self.audit = SqlAuditLog(engine)
        self.usage = SqlUsageStore(engine)
        self.rate_limits = SqlRateLimiter(engine)
        self.incidents = SqlIncidentStore(engine)
        self.notes = SqlNoteStore(engine)
        self.knowledge = SqlKnowledgeIndex(engine)
        self.threads = SqlThreadMemoryStore(engine)
        self.feedback = SqlFeedbackStore(engine)
        self.locks = locks_for(engine)
        self.stops = SqlStopRequests(engine)
        self.contexts = SqlViewContexts(engine)
        self.transcript = SqlTranscript(engine)

    @classmethod
    async def connect(cls, url: str, *, pool: PoolOptions | None = None) -> Database:
        """Open the database at ``url`` and check that it answers.

        Raises:
            ConfigError: the URL is unsupported or malformed.
            StorageError: the database cannot be reached.
        """
        engine = create_engine(url, pool=pool)
        try:
            database = cls(engine)
            await database.ping()
        except BaseException:
            await engine.dispose()
            raise
        log.info(
            "database_connected",
            dialect=database.dialect,
            host=engine.url.host,
            database=engine.url.database,
        )
        return database

    async def ping(self) -> None:
        """Run a trivial query.

        Raises:
            StorageError: the database does not answer.
        """
        with translated("reach the database"):
            async with views(self.engine).read.connect() as connection:
                await connection.execute(text("SELECT 1"))

    async def migrate(self, *, apart: bool = False) -> None:
        """Upgrade the schema to the newest revision (a no-op when already there); ``apart``:
        a SQLite file in a child process, so that this one never imports Alembic
        (:mod:`storage.migrate_apart`)."""
        if apart:
            from storage.migrate_apart import upgrade_apart

            await upgrade_apart(self.engine)
        else:
            await upgrade(self.engine)

    async def current_revision(self) -> str | None:
        """The schema revision the database is at, or None before the first migration."""
        return await current_revision(self.engine)

    async def close(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()

    async def __aenter__(self) -> Database:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()
