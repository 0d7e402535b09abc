"""Schema migrations: Alembic, driven from code over one of our own connections.

The whole upgrade runs in one transaction that first takes a lock (``BEGIN IMMEDIATE`` on
SQLite, an advisory lock on PostgreSQL), so processes starting together migrate once.

Alembic (with Mako and its DDL layer, about 11 MiB of a process's memory) is imported only
when a migration has to run: the shipped head is read from the revision files themselves and
the database's revision from ``alembic_version`` with a plain query, so a process starting
on a schema already at the head (every restart) never loads it.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import structlog
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from agents.kernel.errors import StorageError
from storage._seam import translated
from storage.engine import views

if TYPE_CHECKING:
    from alembic.config import Config

__all__ = ["current_revision", "downgrade", "head_revision", "upgrade"]

log = structlog.get_logger(__name__)

_SCRIPTS = Path(__file__).with_name("migrations")
_PG_LOCK_KEY = 0x5357_4D49_4752  # arbitrary, fixed: "SWMIGR"
_VERSION_TABLE = "alembic_version"  # Alembic's default, which env.py keeps
_NUMBERED = re.compile(r"^(\d{4})_\w+\.py$")  # storage.migrations.ops.numbered


def _config(connection: Connection | None = None) -> Config:
    from alembic.config import Config

    config = Config()
    # Config values go through ConfigParser interpolation: a literal "%" must be doubled.
    config.set_main_option("script_location", str(_SCRIPTS).replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@cache
def _shipped_head() -> str | None:
    """The newest revision the files ship, read from their names: revisions number themselves
    one after another from their file names (``storage.migrations.ops.numbered``), so the head
    is the highest number; None when there are none (then Alembic decides)."""
    numbers = [m[1] for p in (_SCRIPTS / "versions").glob("*.py") if (m := _NUMBERED.match(p.name))]
    return max(numbers) if numbers else None


def head_revision() -> str | None:
    """The newest revision the shipped migrations know."""
    shipped = _shipped_head()
    if shipped is not None:
        return shipped
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_config()).get_current_head()


def _revision(connection: Connection) -> str | None:
    if not inspect(connection).has_table(_VERSION_TABLE):
        return None
    rows = connection.execute(text(f"SELECT version_num FROM {_VERSION_TABLE}")).all()  # noqa: S608 (a constant)
    if len(rows) <= 1:
        return str(rows[0][0]) if rows else None
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()  # raises: many heads


def _move(connection: Connection, target: str, *, down: bool) -> tuple[str | None, str | None]:
    from alembic import command

    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
    before = _revision(connection)
    step = command.downgrade if down else command.upgrade
    step(_config(connection), target)
    return before, _revision(connection)


async def _migrate(engine: AsyncEngine, target: str, *, down: bool) -> None:
    from alembic.util import CommandError

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
    if revision == "head" and _shipped_head() is not None:
        current = await current_revision(engine)
        if current == _shipped_head():
            return  # already there: Alembic is not even imported
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
