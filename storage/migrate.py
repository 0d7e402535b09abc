"""Schema migrations: Alembic, driven from code over one of our own connections.

The whole upgrade runs in one transaction that first takes a lock (``BEGIN IMMEDIATE`` on
SQLite, an advisory lock on PostgreSQL), so processes starting together migrate once.
"""

from __future__ import annotations

from pathlib import Path

import structlog
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from agents.kernel.errors import StorageError
from storage._seam import translated
from storage.engine import views

__all__ = ["current_revision", "downgrade", "head_revision", "upgrade"]

log = structlog.get_logger(__name__)

_SCRIPTS = Path(__file__).with_name("migrations")
_PG_LOCK_KEY = 0x5357_4D49_4752  # arbitrary, fixed: "SWMIGR"


def _config(connection: Connection | None = None) -> Config:
    config = Config()
    # Config values go through ConfigParser interpolation: a literal "%" must be doubled.
    config.set_main_option("script_location", str(_SCRIPTS).replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str | None:
    """The newest revision the shipped migrations know."""
    return ScriptDirectory.from_config(_config()).get_current_head()


def _revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def _move(connection: Connection, target: str, *, down: bool) -> tuple[str | None, str | None]:
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
    before = _revision(connection)
    step = command.downgrade if down else command.upgrade
    step(_config(connection), target)
    return before, _revision(connection)


async def _migrate(engine: AsyncEngine, target: str, *, down: bool) -> None:
    try:
        with translated("migrate the database"):
            async with views(engine).transaction.begin() as connection:
                before, after = await connection.run_sync(_move, target, down=down)
    except CommandError as exc:
        raise StorageError(f"could not migrate the database: {exc}") from exc
    if before != after:
        log.info("database_migrated", from_revision=before, to_revision=after)


async def upgrade(engine: AsyncEngine, *, revision: str = "head") -> None:
    """Bring the schema to ``revision`` (the newest by default); a no-op when already there.

    ``revision`` other than ``head`` is for tests of a later migration over older data.

    Raises:
        StorageError: the database failed, or it is at a revision these migrations don't know.
    """
    await _migrate(engine, revision, down=False)


async def downgrade(engine: AsyncEngine, *, revision: str) -> None:
    """Take the schema back to ``revision`` (``base``: no tables at all), in one transaction.

    For a rollback driven from Python and for the tests that prove every revision reverts
    (there is no command for it).

    Raises:
        StorageError: the database failed, or it is at a revision these migrations don't know.
    """
    await _migrate(engine, revision, down=True)


async def current_revision(engine: AsyncEngine) -> str | None:
    """The schema revision the database is at, or None before the first migration.

    Raises:
        StorageError: the database failed.
    """
    with translated("read the schema revision"):
        async with views(engine).read.connect() as connection:
            return await connection.run_sync(_revision)
