"""Engines: ``DATABASE_URL`` to an ``AsyncEngine`` for SQLite (aiosqlite) or PostgreSQL (asyncpg).

SQLite connections run in WAL mode with a busy timeout and foreign keys on, and SQLAlchemy
emits ``BEGIN`` itself (instead of the driver's implicit one) so transactions, DDL included,
are atomic. :func:`views` gives the stores the same engine three ways: writes begin
``IMMEDIATE`` on SQLite (concurrent writers wait for the lock instead of failing), and
one-statement work runs in autocommit on PostgreSQL (one round trip, no BEGIN/COMMIT).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import structlog
from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from agents.core.errors import ConfigError, StorageError

__all__ = ["Dialect", "EngineViews", "create_engine", "normalize_url", "views"]

log = structlog.get_logger(__name__)

Dialect = Literal["sqlite", "postgresql"]

_SCHEMES = {
    "sqlite": "sqlite+aiosqlite",
    "sqlite+aiosqlite": "sqlite+aiosqlite",
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",
    "postgresql+asyncpg": "postgresql+asyncpg",
}
_SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA busy_timeout=5000",
    "PRAGMA foreign_keys=ON",
    "PRAGMA synchronous=NORMAL",
)
_WRITE_OPTION = "switchboard_write"


def normalize_url(url: str) -> str:
    """Point a database URL at the async driver: aiosqlite for SQLite, asyncpg for PostgreSQL.

    Raises:
        ConfigError: the URL is not one of ``sqlite://``, ``postgresql://`` (or ``postgres://``)
            and their async forms.
    """
    scheme, separator, rest = url.partition("://")
    target = _SCHEMES.get(scheme.lower()) if separator else None
    if target is None:
        # Name only the scheme: the rest of the URL may carry a password.
        raise ConfigError(
            "DATABASE_URL",
            f"unsupported database URL scheme {scheme if separator else '(none)'!r}; "
            "use sqlite:///path/to/file.db or postgresql://user@host/dbname",
        )
    return f"{target}://{rest}"


def create_engine(url: str) -> AsyncEngine:
    """Create the async engine for a database URL (see :func:`normalize_url`).

    For SQLite, the database file's directory is created if missing.

    Raises:
        ConfigError: the URL is unsupported or malformed, or the SQLite directory cannot be
            created.
    """
    try:
        parsed = make_url(normalize_url(url))
    except ArgumentError as exc:
        raise ConfigError("DATABASE_URL", "is not a valid database URL") from exc
    if parsed.get_backend_name() == "sqlite":
        _ensure_directory(parsed)
        engine = create_async_engine(parsed)
        event.listen(engine.sync_engine, "connect", _on_sqlite_connect)
        event.listen(engine.sync_engine, "begin", _on_sqlite_begin)
    else:
        engine = create_async_engine(
            parsed,
            pool_pre_ping=True,
            pool_size=5,
            max_overflow=10,
            pool_timeout=10,
            pool_recycle=1800,
        )
    log.debug(
        "database_engine_created",
        dialect=parsed.get_backend_name(),
        host=parsed.host,
        database=parsed.database,
    )
    return engine


@dataclass(frozen=True, slots=True)
class EngineViews:
    """One engine (one pool) seen the three ways the stores use it.

    Attributes:
        dialect: which database this is.
        read: for one-statement reads.
        write: for one-statement writes.
        transaction: for several statements that must commit together (writes first).
    """

    dialect: Dialect
    read: AsyncEngine
    write: AsyncEngine
    transaction: AsyncEngine


def views(engine: AsyncEngine) -> EngineViews:
    """The three views of an engine made by :func:`create_engine`.

    Raises:
        StorageError: the engine's dialect is neither SQLite nor PostgreSQL.
    """
    name = engine.dialect.name
    if name == "sqlite":
        immediate = engine.execution_options(**{_WRITE_OPTION: True})
        return EngineViews("sqlite", read=engine, write=immediate, transaction=immediate)
    if name == "postgresql":
        autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")
        return EngineViews("postgresql", read=autocommit, write=autocommit, transaction=engine)
    raise StorageError(f"unsupported database dialect {name!r}")


def _ensure_directory(url: URL) -> None:
    database = url.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        return
    directory = Path(database).parent
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(
            "DATABASE_URL", f"cannot create the SQLite directory {str(directory)!r}: {exc}"
        ) from exc


def _on_sqlite_connect(dbapi_connection: Any, _record: object) -> None:
    # Driver-level autocommit: SQLAlchemy's "begin" hook below then owns every BEGIN.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        for pragma in _SQLITE_PRAGMAS:
            cursor.execute(pragma)
    finally:
        cursor.close()


def _on_sqlite_begin(connection: Connection) -> None:
    immediate = connection.get_execution_options().get(_WRITE_OPTION, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
