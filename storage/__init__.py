"""Persistence: SQLAlchemy 2 async stores implementing the domain's ports.

One schema on two engines, SQLite (aiosqlite, the embedded default) and PostgreSQL
(asyncpg), migrated with Alembic. Stores return domain objects, never rows, and raise
:class:`~agents.kernel.errors.StorageError` for any database failure.
"""

from storage.approvals import SqlApprovalStore
from storage.audit import SqlAuditLog
from storage.conversations import SqlConversationStore
from storage.database import Database
from storage.engine import PoolOptions, create_engine, normalize_url
from storage.events import SqlEventStore
from storage.jobs import SqlJobStore
from storage.ledger import SqlTurnLedger
from storage.migrate import current_revision, downgrade, head_revision, upgrade
from storage.traces import SqlTraceStore

__all__ = [
    "Database",
    "PoolOptions",
    "SqlApprovalStore",
    "SqlAuditLog",
    "SqlConversationStore",
    "SqlEventStore",
    "SqlJobStore",
    "SqlTraceStore",
    "SqlTurnLedger",
    "create_engine",
    "current_revision",
    "downgrade",
    "head_revision",
    "normalize_url",
    "upgrade",
]
