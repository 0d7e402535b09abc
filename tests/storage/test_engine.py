"""Engines: URL normalization, SQLite connection settings, unusable URLs."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest
from sqlalchemy import text

from agents.kernel.errors import ConfigError, StorageError
from storage import Database, create_engine, normalize_url
from tests.storage.conftest import sqlite_url


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite:///var/switchboard.db", "sqlite+aiosqlite:///var/switchboard.db"),
        ("sqlite:////abs/path.db", "sqlite+aiosqlite:////abs/path.db"),
        ("sqlite+aiosqlite:///x.db", "sqlite+aiosqlite:///x.db"),
        ("postgresql://u:p@h:5432/db", "postgresql+asyncpg://u:p@h:5432/db"),
        ("postgres://u@h/db?ssl=require", "postgresql+asyncpg://u@h/db?ssl=require"),
        ("postgresql+asyncpg://u@h/db", "postgresql+asyncpg://u@h/db"),
    ],
)
def test_normalize_url_selects_the_async_driver(url: str, expected: str) -> None:
    """SQLite URLs get aiosqlite and PostgreSQL URLs asyncpg; async URLs stay as they are."""
    assert normalize_url(url) == expected


@pytest.mark.parametrize(
    "url",
    [
        "mysql://root:hunter2@db/switchboard",
        "postgresql+psycopg2://root:hunter2@db/switchboard",
        "hunter2",
        "",
    ],
)
def test_unsupported_urls_are_config_errors_without_secrets(url: str) -> None:
    """An unsupported URL raises ConfigError naming DATABASE_URL and never its password."""
    with pytest.raises(ConfigError) as caught:
        normalize_url(url)
    assert caught.value.setting == "DATABASE_URL"
    assert "hunter2" not in str(caught.value)


def test_sqlite_directory_that_cannot_be_created_is_a_config_error(tmp_path: Path) -> None:
    """A SQLite path below a regular file raises ConfigError, not an OSError."""
    (tmp_path / "file").write_text("not a directory")
    with pytest.raises(ConfigError, match="DATABASE_URL"):
        create_engine(f"sqlite:///{tmp_path / 'file' / 'sub' / 'db.sqlite'}")


async def test_sqlite_directory_is_created(tmp_path: Path) -> None:
    """Connecting to a SQLite file in a missing directory creates the directory."""
    async with await Database.connect(sqlite_url(tmp_path / "a" / "b")) as database:
        await database.migrate()
    assert (tmp_path / "a" / "b" / "switchboard.db").is_file()


async def test_sqlite_connections_use_wal_and_foreign_keys(tmp_path: Path) -> None:
    """Every SQLite connection runs with WAL, foreign keys, a busy timeout, synchronous=NORMAL."""
    async with await Database.connect(sqlite_url(tmp_path)) as database:
        assert database.dialect == "sqlite"
        async with database.engine.connect() as connection:
            pragmas = {
                name: (await connection.execute(text(f"PRAGMA {name}"))).scalar_one()
                for name in ("journal_mode", "foreign_keys", "busy_timeout", "synchronous")
            }
    assert pragmas == {
        "journal_mode": "wal",
        "foreign_keys": 1,
        "busy_timeout": 5000,
        "synchronous": 1,
    }


async def test_sqlite_file_that_is_a_directory_is_a_storage_error(tmp_path: Path) -> None:
    """Connecting where the SQLite file would be a directory raises StorageError."""
    (tmp_path / "switchboard.db").mkdir()
    running = set(threading.enumerate())
    with pytest.raises(StorageError, match="could not reach the database"):
        await Database.connect(sqlite_url(tmp_path))
    # aiosqlite stops the worker thread of a failed connect without awaiting it; let it finish
    # while this loop runs, or under load it reports to a closed loop during a later test.
    started = set(threading.enumerate()) - running
    await asyncio.to_thread(lambda: [thread.join(timeout=5) for thread in started])


async def test_unreachable_postgres_is_a_storage_error_without_secrets() -> None:
    """A PostgreSQL server that refuses connections raises StorageError without the password."""
    with pytest.raises(StorageError) as caught:
        await Database.connect("postgresql://switchboard:hunter2@127.0.0.1:1/switchboard")
    assert "hunter2" not in str(caught.value)
