"""Engines: ``DATABASE_URL`` to an ``AsyncEngine``, and the views the stores use it through.

- :mod:`~storage.engine.create`: URL to engine (SQLite through aiosqlite, PostgreSQL through
  asyncpg) and PostgreSQL's pool options.
- :mod:`~storage.engine.sqlite_hooks`: how every SQLite connection is set up.
- :mod:`~storage.engine.views`: one engine seen as reads, writes, transactions and quick
  reads; SQLite's writers queue at one gate per engine.
- :mod:`~storage.engine.inline`: SQLite-file transactions and short reads run on the event
  loop's thread.
- :mod:`~storage.engine.prepared`: the hottest statements, compiled once and run straight on
  SQLite's driver.
"""

from storage.engine.create import PoolOptions, create_engine, normalize_url
from storage.engine.prepared import Prepared
from storage.engine.views import (
    Dialect,
    EngineViews,
    Reads,
    WriteGate,
    Writes,
    truncate_wal,
    views,
)

__all__ = [
    "Dialect",
    "EngineViews",
    "PoolOptions",
    "Prepared",
    "Reads",
    "WriteGate",
    "Writes",
    "create_engine",
    "normalize_url",
    "truncate_wal",
    "views",
]
