"""A fresh, migrated PostgreSQL database for one end-to-end test."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.engine import make_url

from storage import Database
from tests.storage.conftest import postgres_url, run_sql

__all__ = ["fresh_postgres"]


@asynccontextmanager
async def fresh_postgres(prefix: str) -> AsyncIterator[str]:
    """The URL of a new database named ``prefix`` plus a random suffix, migrated to head,
    dropped on exit (skips the test without ``SWITCHBOARD_TEST_POSTGRES_URL``)."""
    server = postgres_url()
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    await run_sql(server, f'CREATE DATABASE "{name}"')
    url = make_url(server).set(database=name).render_as_string(hide_password=False)
    try:
        database = await Database.connect(url)
        try:
            await database.migrate()
        finally:
            await database.close()
        yield url
    finally:
        await run_sql(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
