"""Fixtures: an empty database on each engine (``place``, ``unmigrated``, ``database``).

SQLite always runs, on a file under ``tmp_path``. PostgreSQL runs when
``SWITCHBOARD_TEST_POSTGRES_URL`` is set; each test gets a fresh schema (set as the
``search_path`` of every connection), so tests are isolated and other users of that
database are untouched.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text

from storage import Database, create_engine

POSTGRES_URL_VARIABLE = "SWITCHBOARD_TEST_POSTGRES_URL"


def postgres_url() -> str:
    """The PostgreSQL URL to test against, or skip the calling test."""
    url = os.environ.get(POSTGRES_URL_VARIABLE)
    if not url:
        pytest.skip(f"{POSTGRES_URL_VARIABLE} is not set")
    return url


def sqlite_url(directory: Path) -> str:
    """A SQLite URL for a database file in ``directory``."""
    return f"sqlite:///{directory / 'switchboard.db'}"


async def run_sql(url: str, sql: str) -> None:
    """Run one statement outside a transaction (CREATE/DROP SCHEMA or DATABASE)."""
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            await connection.execute(text(sql))
    finally:
        await engine.dispose()


def _postgres_database(url: str, schema: str) -> Database:
    engine = create_engine(url)

    def use_schema(dbapi_connection: Any, _record: object) -> None:
        # Straight on the asyncpg connection: through a DBAPI cursor the SET would run in a
        # transaction that the pool later rolls back, undoing it.
        dbapi_connection.run_async(
            lambda connection: connection.execute(f'SET search_path TO "{schema}"')
        )

    # insert=True: before SQLAlchemy's first-connect setup reads the default schema.
    event.listen(engine.sync_engine, "connect", use_schema, insert=True)
    return Database(engine)


class Place:
    """Where one test's database lives: opens any number of handles on it, closes them all."""

    def __init__(self, dialect: str, opener: Callable[[], Awaitable[Database]]) -> None:
        self.dialect = dialect
        self._opener = opener
        self._opened: list[Database] = []

    async def open(self) -> Database:
        """A new handle (its own engine and pool) on the same database."""
        database = await self._opener()
        self._opened.append(database)
        return database

    async def close(self) -> None:
        """Close every handle opened here (closing twice is harmless)."""
        for database in self._opened:
            await database.close()


@pytest.fixture(params=["sqlite", "postgresql"])
async def place(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Place]:
    """An empty database on each engine: a SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        url = sqlite_url(tmp_path)
        place = Place("sqlite", lambda: Database.connect(url))
        try:
            yield place
        finally:
            await place.close()
        return
    async with postgres_place() as place:
        yield place


@asynccontextmanager
async def postgres_place() -> AsyncIterator[Place]:
    """A fresh PostgreSQL schema (skips the test without ``SWITCHBOARD_TEST_POSTGRES_URL``)."""
    url = postgres_url()
    schema = f"sb_test_{uuid.uuid4().hex[:12]}"
    await run_sql(url, f'CREATE SCHEMA "{schema}"')

    async def open_in_schema() -> Database:
        return _postgres_database(url, schema)

    place = Place("postgresql", open_in_schema)
    try:
        yield place
    finally:
        try:
            await place.close()
        finally:
            await run_sql(url, f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
async def postgres() -> AsyncIterator[Database]:
    """A migrated PostgreSQL database in a fresh schema, for what only PostgreSQL has (skips
    the test without ``SWITCHBOARD_TEST_POSTGRES_URL``)."""
    async with postgres_place() as place:
        database = await place.open()
        await database.migrate()
        yield database


@pytest.fixture
async def sqlite_database(tmp_path: Path) -> AsyncIterator[Database]:
    """A migrated SQLite database file, for what only SQLite has."""
    async with await Database.connect(sqlite_url(tmp_path)) as database:
        await database.migrate()
        yield database


@pytest.fixture
async def unmigrated(place: Place) -> Database:
    """An empty database on each engine, not migrated yet."""
    return await place.open()


@pytest.fixture
async def database(unmigrated: Database) -> Database:
    """A database on each engine, migrated to head through ``Database.migrate``."""
    await unmigrated.migrate()
    return unmigrated
