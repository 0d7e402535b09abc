"""Failures at the seam surface as StorageError, never as SQLAlchemy or driver errors."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from agents.actions.jobs import AuditQuery
from agents.kernel.errors import StorageError
from storage import Database
from tests.storage.builders import inbound, outbound, trace


async def test_a_dropped_table_is_a_storage_error(database: Database) -> None:
    """A store whose table vanished raises StorageError caused by the database error."""
    async with database.engine.begin() as connection:
        await connection.execute(text("DROP TABLE events"))
    with pytest.raises(StorageError, match="could not claim a delivery") as caught:
        await database.events.claim(inbound(1))
    assert isinstance(caught.value.__cause__, SQLAlchemyError)


async def test_an_unmigrated_database_is_a_storage_error(unmigrated: Database) -> None:
    """Using the stores before migrating raises StorageError from every store."""
    with pytest.raises(StorageError):
        await unmigrated.conversations.record_reply(outbound(1), now=inbound(1).received_at)
    with pytest.raises(StorageError):
        await unmigrated.traces.get("trace-1")
    with pytest.raises(StorageError):
        await unmigrated.events.unfinished(claimed_before=inbound(1).received_at, limit=1)


async def test_naive_datetimes_are_refused(database: Database) -> None:
    """Storing a datetime without a timezone raises StorageError instead of guessing."""
    with pytest.raises(StorageError):
        await database.traces.save(trace(started_at=datetime(2026, 11, 23, 12, 0)))


async def test_counting_attempts_of_an_unknown_delivery_is_a_storage_error(
    database: Database,
) -> None:
    """Counting an attempt for a delivery that was never claimed raises StorageError."""
    with pytest.raises(StorageError, match="no claimed delivery"):
        await database.events.count_attempt(team_id="T1", event_id="nope")


async def test_a_database_at_an_unknown_revision_is_a_storage_error(database: Database) -> None:
    """Migrating a database stamped with a revision we do not ship raises StorageError."""
    async with database.engine.begin() as connection:
        await connection.execute(text("UPDATE alembic_version SET version_num = 'ffff'"))
    with pytest.raises(StorageError, match="could not migrate"):
        await database.migrate()


async def test_the_approval_stores_raise_storage_errors_unmigrated(unmigrated: Database) -> None:
    """Approvals, jobs and the audit log raise StorageError before the schema exists."""
    now = inbound(1).received_at
    with pytest.raises(StorageError, match="could not read an approval"):
        await unmigrated.approvals.get("approval-1")
    with pytest.raises(StorageError, match="could not claim a job"):
        await unmigrated.jobs.claim_next(owner="w1", now=now, lease=timedelta(seconds=30))
    with pytest.raises(StorageError, match="could not read the audit log"):
        await unmigrated.audit.entries(AuditQuery(limit=1))
