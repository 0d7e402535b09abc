"""Migrations: a fresh database reaches head, upgrades are idempotent and safe to race."""

from __future__ import annotations

import asyncio

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Connection

from storage import Database, head_revision
from storage.tables import metadata
from tests.storage.builders import inbound, trace
from tests.storage.conftest import Place


async def test_fresh_database_migrates_to_head(unmigrated: Database) -> None:
    """An empty database has no revision; after migrate it is at the newest one."""
    assert head_revision() == "0001"
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

    def differences(connection: Connection) -> list[object]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, metadata))

    async with database.engine.connect() as connection:
        assert await connection.run_sync(differences) == []


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
