"""AuditLog contract: append, read back in order with filters, and nothing else ever."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from agents.actions.jobs import AuditEntry, AuditQuery
from storage import Database
from tests.storage.builders import at


def fact(n: int, *, action: str = "deploy", **details: str) -> AuditEntry:
    """The ``n``-th audit entry, ``n`` seconds after ``T0``."""
    return AuditEntry(
        at=at(n),
        actor=f"U{n}",
        kind="approved_vote",
        action=action,
        approval_id=f"approval-{n}",
        trace_id=f"trace-{n}",
        details=details,
    )


async def test_appended_entries_read_back_oldest_first(database: Database) -> None:
    """Entries come back equal, details included, ordered by time then by append order."""
    await database.audit.append(fact(2, env="prod", reason="hot fix"))
    await database.audit.append(fact(1))
    await database.audit.append(fact(2, action="restart"))
    bare = AuditEntry(at=at(3), actor="system", kind="refused", action="restart")
    await database.audit.append(bare)
    assert await database.audit.entries(AuditQuery(limit=10)) == [
        fact(1),
        fact(2, env="prod", reason="hot fix"),
        fact(2, action="restart"),
        bare,
    ]


async def test_entries_filter_by_time_and_action_up_to_the_limit(database: Database) -> None:
    """``since`` is inclusive, ``action`` exact, and ``limit`` keeps the oldest matches."""
    for n in range(1, 7):
        await database.audit.append(fact(n, action="deploy" if n % 2 else "restart"))
    since_three = await database.audit.entries(AuditQuery(limit=10, since=at(3)))
    assert [e.actor for e in since_three] == ["U3", "U4", "U5", "U6"]
    deploys = await database.audit.entries(AuditQuery(limit=10, since=at(2), action="deploy"))
    assert [e.actor for e in deploys] == ["U3", "U5"]
    assert [e.actor for e in await database.audit.entries(AuditQuery(limit=2))] == [
        "U1",
        "U2",
    ]
    assert await database.audit.entries(AuditQuery(limit=10, action="nope")) == []


@pytest.mark.parametrize(
    "statement",
    ["UPDATE audit_log SET actor = 'mallory'", "DELETE FROM audit_log"],
)
async def test_the_database_refuses_to_change_the_audit_log(
    database: Database, statement: str
) -> None:
    """Even raw SQL cannot update or delete audit entries: the database refuses."""
    await database.audit.append(fact(1, env="prod"))
    with pytest.raises(DBAPIError, match="append-only"):
        async with database.engine.begin() as connection:
            await connection.execute(text(statement))
    assert await database.audit.entries(AuditQuery(limit=10)) == [fact(1, env="prod")]


async def test_postgresql_refuses_to_truncate_the_audit_log(postgres: Database) -> None:
    """On PostgreSQL, TRUNCATE (which skips row triggers) is refused as well (SQLite has no
    TRUNCATE)."""
    await postgres.audit.append(fact(1))
    with pytest.raises(DBAPIError, match="append-only"):
        async with postgres.engine.begin() as connection:
            await connection.execute(text("TRUNCATE audit_log"))
    assert await postgres.audit.entries(AuditQuery(limit=10)) == [fact(1)]
