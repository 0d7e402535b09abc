"""``DATABASE_URL`` to an ``AsyncEngine``: SQLite through aiosqlite, PostgreSQL through asyncpg.

SQLite connections run in WAL mode with a busy timeout and foreign keys on
(:mod:`storage.engine.sqlite_hooks`); PostgreSQL's pool and statement timeout come from
:class:`PoolOptions`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import structlog
from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.util import await_

from agents.kernel.errors import ConfigError
from storage.engine.sqlite_hooks import is_file, on_begin, on_connect

__all__ = ["PoolOptions", "create_engine", "normalize_url"]

log = structlog.get_logger(__name__)

_SCHEMES = {
    "sqlite": "sqlite+aiosqlite",
    "sqlite+aiosqlite": "sqlite+aiosqlite",
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",
    "postgresql+asyncpg": "postgresql+asyncpg",
}
# One writer at a time (the gate) plus concurrent readers. Fixed, with no overflow: an
# overflow connection is closed when returned, and reopening one costs a thread and the PRAGMAs.
_SQLITE_POOL_SIZE = 8
# A pooled PostgreSQL connection idle longer than this is pinged before use (below).
_PING_AFTER_IDLE_S = 5.0
_USED_AT = "switchboard_used_at"


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


@dataclass(frozen=True, slots=True)
class PoolOptions:
    """PostgreSQL connection pool and statement limits (SQLite ignores them).

    Attributes:
        size: connections kept open; max_overflow: extra ones under load.
        statement_timeout_ms: the server cancels a statement running longer (None: never).
    """

    size: int = 15
    max_overflow: int = 0
    statement_timeout_ms: int | None = None


def create_engine(url: str, *, pool: PoolOptions | None = None) -> AsyncEngine:
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
        engine = _sqlite_engine(parsed)
    else:
        engine = _postgresql_engine(parsed, pool or PoolOptions())
    log.debug(
        "database_engine_created",
        dialect=parsed.get_backend_name(),
        host=parsed.host,
        database=parsed.database,
    )
    return engine


def _sqlite_engine(url: URL) -> AsyncEngine:
    _ensure_directory(url)
    sqlite_pool = (
        {"pool_size": _SQLITE_POOL_SIZE, "max_overflow": 0, "pool_timeout": 30}
        if is_file(url)
        else {}  # in memory: one connection, shared (StaticPool)
    )
    engine = create_async_engine(url, **sqlite_pool)
    event.listen(engine.sync_engine, "connect", on_connect)
    event.listen(engine.sync_engine, "begin", on_begin)
    return engine


def _postgresql_engine(url: URL, options: PoolOptions) -> AsyncEngine:
    connect_args: dict[str, Any] = {}
    if options.statement_timeout_ms is not None:
        timeout = str(options.statement_timeout_ms)
        connect_args["server_settings"] = {"statement_timeout": timeout}
    engine = create_async_engine(
        url,
        pool_size=options.size,
        max_overflow=options.max_overflow,
        pool_timeout=10,
        pool_recycle=1800,
        connect_args=connect_args,
    )
    event.listen(engine.sync_engine, "connect", _stamp)
    event.listen(engine.sync_engine, "checkin", _stamp)
    event.listen(engine.sync_engine, "checkout", _check_alive)
    return engine


def _stamp(dbapi_connection: Any, record: Any) -> None:
    record.info[_USED_AT] = time.monotonic()


def _check_alive(dbapi_connection: Any, record: Any, proxy: Any) -> None:
    """A checked-out PostgreSQL connection is alive, or the pool replaces it.

    SQLAlchemy's ``pool_pre_ping`` costs three round trips on every checkout with asyncpg
    (``BEGIN``, ``;``, ``ROLLBACK``: the isolation level is set only after the ping), more than
    the one statement most checkouts run. Instead: a connection the server closed (a restart,
    ``pg_terminate_backend``) is known to asyncpg without a round trip; one idle for over
    ``_PING_AFTER_IDLE_S`` (where a dropped network path hides) is pinged with one
    ``SELECT 1``. A connection that breaks mid-use still fails its statement, as with
    pre-ping between the ping and the statement, and SQLAlchemy then invalidates the pool.
    """
    driver = dbapi_connection.driver_connection
    if driver.is_closed():
        raise DisconnectionError("the server closed the connection")
    used_at = record.info.get(_USED_AT)
    if used_at is not None and time.monotonic() - used_at <= _PING_AFTER_IDLE_S:
        return
    try:
        await_(driver.execute("SELECT 1"))
    except Exception as exc:  # any failure: the pool opens a new connection instead
        raise DisconnectionError(f"ping failed: {type(exc).__name__}") from exc
    record.info[_USED_AT] = time.monotonic()


def _ensure_directory(url: URL) -> None:
    if not is_file(url):
        return
    directory = Path(url.database or "").parent
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(
            "DATABASE_URL", f"cannot create the SQLite directory {str(directory)!r}: {exc}"
        ) from exc
