"""Migrations: a fresh database reaches head, upgrades are idempotent and safe to race."""

from __future__ import annotations

import asyncio
from typing import get_args

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import insert as sa_insert
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from agents.actions.approval import ApprovalState
from storage import Database, downgrade, head_revision, upgrade
from storage.tables import APPROVAL_STATES, NOT_IN_METADATA, metadata, traces
from tests.storage.builders import approval, entry, inbound, outbound, trace
from tests.storage.conftest import Place


def _declared(obj: object, name: str | None, kind: str, reflected: bool, _other: object) -> bool:
    """Leave out what the migrations make outside the MetaData on purpose (full-text index)."""
    if name is None:
        return True
    if kind == "table":
        return not any(name.startswith(prefix) for prefix in NOT_IN_METADATA)
    if kind == "column":
        table = getattr(getattr(obj, "table", None), "name", "")
        return f"{table}.{name}" not in NOT_IN_METADATA
    if kind == "index":
        return name != "ix_knowledge_chunks_search"
    return True


def _differences(connection: Connection) -> list[object]:
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "include_object": _declared}
    )
    return list(compare_metadata(context, metadata))


async def test_fresh_database_migrates_to_head(unmigrated: Database) -> None:
    """An empty database has no revision; after migrate it is at the newest one."""
    assert head_revision() >= "0004"
    assert await unmigrated.current_revision() is None
    await unmigrated.migrate()
    assert await unmigrated.current_revision() == head_revision()


async def test_migrate_twice_is_a_no_op(database: Database) -> None:
    """Migrating an up-to-date database keeps its revision and its data."""
    await database.events.claim(inbound(1))
    await database.migrate()
    assert await database.current_revision() == head_revision()
    assert await database.events.claim(inbound(1)) is False


async def test_migrations_create_exactly_the_declared_schema(database: Database) -> None:
    """Comparing the migrated database with tables.py finds no difference."""
    async with database.engine.connect() as connection:
        assert await connection.run_sync(_differences) == []


async def test_concurrent_migrations_migrate_once(place: Place) -> None:
    """Two processes migrating the same empty database at once both succeed."""
    first, second = await place.open(), await place.open()
    await asyncio.gather(first.migrate(), second.migrate())
    assert await first.current_revision() == head_revision()


async def test_data_survives_closing_and_reopening(place: Place) -> None:
    """What one handle stored is there after it closed and another opened the database."""
    first = await place.open()
    await first.migrate()
    await first.events.claim(inbound(1))
    await first.traces.save(trace())
    await first.close()
    second = await place.open()
    assert await second.current_revision() == head_revision()
    assert await second.events.claim(inbound(1)) is False
    assert await second.traces.get("trace-1") == trace()


async def test_upgrade_from_0001_keeps_its_data(unmigrated: Database) -> None:
    """A database at 0001 with data upgrades to head with its data intact and new tables usable."""
    await upgrade(unmigrated.engine, revision="0001")
    assert await unmigrated.current_revision() == "0001"
    await unmigrated.events.claim(inbound(1))
    await unmigrated.conversations.record_reply(outbound(1), now=inbound(1).received_at)
    old = trace()
    columns_0001 = {
        name: getattr(old, name)
        for name in (
            "trace_id",
            "team_id",
            "channel_id",
            "user_id",
            "event_id",
            "source",
            "agent",
            "route_reason",
            "route_score",
            "outcome",
            "error",
            "started_at",
            "route_ms",
            "agent_ms",
            "total_ms",
            "delivered_at",
        )
    }
    async with unmigrated.engine.begin() as connection:  # the store of 0001 wrote these only
        await connection.execute(sa_insert(traces).values(**columns_0001))
    await unmigrated.migrate()
    assert await unmigrated.current_revision() == head_revision()
    assert await unmigrated.events.claim(inbound(1)) is False
    assert await unmigrated.conversations.find_reply("trace-1") == outbound(1)
    assert await unmigrated.traces.get("trace-1") == trace()  # new columns at their defaults
    await unmigrated.approvals.create(approval(1), audit=entry("requested", approval(1)))
    assert await unmigrated.approvals.get("approval-1") == approval(1)
    async with unmigrated.engine.connect() as connection:
        assert await connection.run_sync(_differences) == []


async def test_the_schema_allows_exactly_the_domains_approval_states(database: Database) -> None:
    """Every state of the domain's approval machine can be stored; any other is refused."""
    assert get_args(ApprovalState) == APPROVAL_STATES
    await database.approvals.create(approval(1), audit=entry("requested", approval(1)))
    change = text("UPDATE approvals SET state = :state WHERE id = 'approval-1'")
    async with database.engine.begin() as connection:
        for state in APPROVAL_STATES:
            await connection.execute(change, {"state": state})
    with pytest.raises(IntegrityError):
        async with database.engine.begin() as connection:
            await connection.execute(change, {"state": "paused"})


async def test_upgrade_to_0014_blanks_what_finished_deliveries_still_held(
    unmigrated: Database,
) -> None:
    """Deliveries finished before finishing blanked their text lose it; one still being
    worked on keeps it (a crash may replay it)."""
    await upgrade(unmigrated.engine, revision="0012")
    for n in (1, 2, 3):
        await unmigrated.events.claim(inbound(n, text=f"words {n}"))
    async with unmigrated.engine.begin() as connection:  # as 0012's code left them
        await connection.execute(text("UPDATE events SET status = 'done' WHERE event_id = 'Ev1'"))
        await connection.execute(text("UPDATE events SET status = 'failed' WHERE event_id = 'Ev2'"))
    await unmigrated.migrate()
    async with unmigrated.engine.connect() as connection:
        rows = await connection.execute(text("SELECT event_id, text FROM events ORDER BY event_id"))
        assert [tuple(row) for row in rows] == [("Ev1", ""), ("Ev2", ""), ("Ev3", "words 3")]


def _schema(connection: Connection) -> dict[str, object]:
    """Every table's columns, keys, constraints and indexes, by name, as the database has them."""
    seen = inspect(connection)
    return {
        table: (
            [(column["name"], column["nullable"]) for column in seen.get_columns(table)],
            seen.get_pk_constraint(table)["name"],
            sorted(str(fk["name"]) for fk in seen.get_foreign_keys(table)),
            sorted(str(uq["name"]) for uq in seen.get_unique_constraints(table)),
            sorted(str(ck["name"]) for ck in seen.get_check_constraints(table)),
            sorted(str(ix["name"]) for ix in seen.get_indexes(table)),
        )
        for table in seen.get_table_names()
        if table != "alembic_version"
    }


async def _schema_of(database: Database) -> dict[str, object]:
    async with database.engine.connect() as connection:
        return await connection.run_sync(_schema)


async def test_each_downgrade_restores_the_schema_before_its_revision(
    unmigrated: Database,
) -> None:
    """Down one revision at a time from head, the schema is each time what upgrading to the
    revision before had made; at base no table is left, and upgrading again reaches head."""
    head = head_revision()
    assert head is not None
    revisions = [f"{number:04d}" for number in range(1, int(head) + 1)]
    upgraded: dict[str | None, dict[str, object]] = {None: await _schema_of(unmigrated)}
    for revision in revisions:
        await upgrade(unmigrated.engine, revision=revision)
        upgraded[revision] = await _schema_of(unmigrated)
    earlier: list[str | None] = [None, *revisions[:-1]]
    for revision, before in zip(reversed(revisions), reversed(earlier), strict=True):
        await downgrade(unmigrated.engine, revision=before or "base")
        assert await unmigrated.current_revision() == before
        assert await _schema_of(unmigrated) == upgraded[before], f"downgrade of {revision}"
    assert upgraded[None] == {}
    await unmigrated.migrate()
    async with unmigrated.engine.connect() as connection:
        assert await connection.run_sync(_differences) == []
