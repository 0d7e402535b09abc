"""Migrating in a child process (``switchboard run`` on SQLite): the same schema and errors as
migrating here, without Alembic in the bot's own memory; and the head read without Alembic."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import text
from structlog.testing import capture_logs

from agents.kernel.errors import StorageError
from storage import Database, head_revision
from storage.migrate import _config


def test_the_head_read_from_the_revision_files_is_alembics() -> None:
    """The start-up check reads the head without Alembic; it must agree with Alembic's."""
    assert head_revision() == ScriptDirectory.from_config(_config()).get_current_head()


async def _schema(url: str) -> list[tuple[str, str]]:
    async with await Database.connect(url) as database, database.engine.connect() as connection:
        rows = await connection.execute(
            text("SELECT name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name")
        )
        return [(str(name), str(sql)) for name, sql in rows]


async def test_a_fresh_file_is_migrated_apart_to_the_schema_migrating_here_makes(
    tmp_path: Path,
) -> None:
    """Same revision, same tables, indexes and triggers, and the migration is logged here."""
    apart, here = (f"sqlite+aiosqlite:///{tmp_path / name}" for name in ("apart.db", "here.db"))
    async with await Database.connect(apart) as database:
        with capture_logs() as logs:
            await database.migrate(apart=True)
        assert await database.current_revision() == head_revision()
        await database.migrate(apart=True)  # at the head: nothing to do
    async with await Database.connect(here) as database:
        await database.migrate()
    assert await _schema(apart) == await _schema(here)
    [migrated] = [e for e in logs if e["event"] == "database_migrated"]
    assert (migrated["from_revision"], migrated["to_revision"]) == (None, head_revision())


async def test_a_revision_these_migrations_do_not_know_fails_apart_as_here(
    tmp_path: Path,
) -> None:
    """The child's refusal comes back as the same StorageError."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'future.db'}"
    async with await Database.connect(url) as database:
        async with database.engine.begin() as connection:
            await connection.execute(text("CREATE TABLE alembic_version (version_num TEXT)"))
            await connection.execute(text("INSERT INTO alembic_version VALUES ('9999')"))
        with pytest.raises(StorageError) as here:
            await database.migrate()
        with pytest.raises(StorageError) as apart:
            await database.migrate(apart=True)
    assert str(apart.value) == str(here.value)
    assert "could not migrate the database" in str(apart.value)


async def test_an_in_memory_database_is_migrated_here() -> None:
    """Another process cannot see it."""
    async with await Database.connect("sqlite+aiosqlite:///:memory:") as database:
        await database.migrate(apart=True)
        assert await database.current_revision() == head_revision()
