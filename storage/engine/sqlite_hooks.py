"""How every SQLite connection is set up: WAL, a busy timeout, foreign keys, secure delete,
and who says BEGIN.

The driver is put in autocommit and SQLAlchemy's ``begin`` hook emits ``BEGIN`` itself, so
transactions, DDL included, are atomic; a write begins ``IMMEDIATE`` (it takes the write lock
at once instead of failing to upgrade a read lock later).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import URL, Connection

__all__ = ["WRITE_OPTION", "is_file", "on_begin", "on_connect"]

_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA busy_timeout=5000",
    "PRAGMA foreign_keys=ON",
    "PRAGMA synchronous=NORMAL",
    # Deleted and overwritten content is zeroed, in b-tree pages and in pages put on the
    # free list, so that erased words do not linger in the file (the WAL is truncated after
    # an erasure: storage.erasure).
    "PRAGMA secure_delete=ON",
    # A checkpoint that resets the WAL truncates the file to this (8 MiB), so a burst does
    # not leave its high-water mark on disk for good.
    "PRAGMA journal_size_limit=8388608",
)
WRITE_OPTION = "switchboard_write"
"""The execution option that marks an engine's connections as writers (``BEGIN IMMEDIATE``)."""


def is_file(url: URL) -> bool:
    """Whether the URL names a SQLite file (other processes and connections can open it)."""
    # A plain path; not ":memory:", nor a "file:" URI (which may name a shared memory database).
    database = url.database or ""
    return database not in ("", ":memory:") and not database.startswith("file:")


def on_connect(dbapi_connection: Any, _record: object) -> None:
    """The ``connect`` hook: WAL and the PRAGMAs, and the driver's own BEGIN turned off."""
    # Driver-level autocommit: SQLAlchemy's "begin" hook below then owns every BEGIN.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        for pragma in _PRAGMAS:
            cursor.execute(pragma)
    finally:
        cursor.close()


def on_begin(connection: Connection) -> None:
    """The ``begin`` hook: ``BEGIN IMMEDIATE`` for writers (see :data:`WRITE_OPTION`)."""
    immediate = connection.get_execution_options().get(WRITE_OPTION, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
