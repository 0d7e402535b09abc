"""Where a marker is stored: every column of every table, and the bytes of a SQLite file.

The erasure tests plant a unique marker in what a person writes and, after erasing it, ask
both: no row may still say it (a SELECT over every column, both engines), and no byte of a
SQLite file, its WAL or its shared-memory index may hold it (freed pages included).
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.tables import metadata

__all__ = ["files_holding", "rows_holding"]


async def rows_holding(engine: AsyncEngine, marker: str) -> list[str]:
    """``table.column`` of every stored value (any type, cast to text) containing ``marker``."""
    found = []
    async with engine.connect() as connection:
        for table in metadata.sorted_tables:
            for column in table.columns:
                statement = sa.select(sa.func.count()).where(
                    sa.cast(column, sa.Text).contains(marker, autoescape=True)
                )
                if (await connection.execute(statement.select_from(table))).scalar_one():
                    found.append(f"{table.name}.{column.name}")
    return found


def files_holding(database: Path, marker: str) -> list[str]:
    """The names of the SQLite database file and its companions (``-wal``, ``-shm``,
    ``-journal``) whose bytes contain ``marker`` (encoded as SQLite stores text: UTF-8)."""
    needle = marker.encode()
    files = [
        database,
        *(database.with_name(database.name + end) for end in ("-wal", "-shm", "-journal")),
    ]
    return [path.name for path in files if path.exists() and needle in path.read_bytes()]
