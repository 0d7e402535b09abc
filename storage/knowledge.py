"""The runbook index: chunks per file, full-text search, and the misses.

SQLite: the FTS5 table ``knowledge_fts`` (kept by triggers), ranked by ``bm25`` with the
heading weighted twice the text. PostgreSQL: the generated ``search`` tsvector (heading
weighted A), ranked by ``ts_rank_cd``. A query is reduced to its content words, each quoted
(FTS5) or reduced to letters and digits (tsquery), and OR-ed: user text is never query syntax.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, desc, insert, select, text
from sqlalchemy.engine import Connection

from agents.kernel.words import content_words
from agents.memory.knowledge import Chunk, Hit, KnowledgeIndex, Miss
from storage._records import from_row, row_values
from storage._seam import SqlStore, count_changed, execute, fetch_all, translated
from storage.engine import Dialect
from storage.tables import knowledge_chunks, knowledge_files, knowledge_misses

__all__ = ["SqlKnowledgeIndex", "fts5_query", "tsquery"]

_SQLITE_SEARCH = text(
    "SELECT c.source, c.heading, c.anchor, c.text, c.position, "
    "-bm25(knowledge_fts, 2.0, 1.0) AS score "
    "FROM knowledge_fts JOIN knowledge_chunks AS c ON c.id = knowledge_fts.rowid "
    "WHERE knowledge_fts MATCH :query ORDER BY bm25(knowledge_fts, 2.0, 1.0) LIMIT :limit"
)
_PG_SEARCH = text(
    "SELECT source, heading, anchor, text, position, "
    "ts_rank_cd(search, to_tsquery('english', :query)) AS score "
    "FROM knowledge_chunks WHERE search @@ to_tsquery('english', :query) "
    "ORDER BY score DESC, id LIMIT :limit"
)
_ALNUM = re.compile(r"[^a-z0-9]+")
_MAX_WORDS = 12


def fts5_query(query: str) -> str:
    """Content words, each a quoted FTS5 string, OR-ed (``""`` when there are none)."""
    words = content_words(query)[:_MAX_WORDS]
    return " OR ".join('"' + word.replace('"', '""') + '"' for word in words)


def tsquery(query: str) -> str:
    """Content words reduced to letters and digits, OR-ed for ``to_tsquery``."""
    words = [_ALNUM.sub("", word) for word in content_words(query)[:_MAX_WORDS]]
    return " | ".join(word for word in words if word)


class SqlKnowledgeIndex(SqlStore, KnowledgeIndex):
    """``KnowledgeIndex`` on SQLite FTS5 or PostgreSQL tsvector."""

    async def replace_file(self, source: str, *, digest: str, chunks: Sequence[Chunk]) -> bool:
        """Replace a file's chunks, unless the stored digest is the same."""
        with translated("index a file"):
            return await self._db.transaction.run(_replace_file, source, digest, list(chunks))

    async def remove_files(self, *, keep: Collection[str], under: str = "") -> int:
        """Drop the files under ``under`` that are not in ``keep``."""
        with translated("remove indexed files"):
            return await self._db.transaction.run(_remove_files, set(keep), under)

    async def search(self, query: str, *, limit: int = 5) -> Sequence[Hit]:
        """The best chunks for the words of ``query``, best first."""
        dialect: Dialect = self._db.dialect
        expression = fts5_query(query) if dialect == "sqlite" else tsquery(query)
        if not expression:
            return []
        statement = _SQLITE_SEARCH if dialect == "sqlite" else _PG_SEARCH
        # Not the inline read: a broad query over a large index can take a while in FTS5,
        # and must not hold the event loop.
        with translated("search the runbooks"):
            async with self._db.read.connect() as connection:
                rows = await connection.run_sync(_search, statement, expression, limit)
        return [Hit(Chunk(*row[:5]), float(row[5])) for row in rows]

    async def record_miss(self, miss: Miss) -> None:
        """Store a question that found nothing good enough."""
        values = row_values(miss)
        await execute(
            self._db.write, insert(knowledge_misses), values, action="record a knowledge miss"
        )

    async def purge_misses(self, *, before: datetime) -> int:
        """Delete recorded misses older than ``before`` (retention)."""
        statement = delete(knowledge_misses).where(knowledge_misses.c.at < before)
        return await count_changed(self._db.write, statement, action="purge knowledge misses")

    async def misses(self, *, limit: int = 100) -> Sequence[Miss]:
        """Recorded misses, newest first."""
        statement = (
            select(knowledge_misses)
            .order_by(desc(knowledge_misses.c.at), desc(knowledge_misses.c.id))
            .limit(limit)
        )
        rows = await fetch_all(self._db.read, statement, action="list knowledge misses")
        return [from_row(Miss, row) for row in rows]


def _search(connection: Connection, statement: Any, expression: str, limit: int) -> list[Any]:
    return list(connection.execute(statement, {"query": expression, "limit": limit}).all())


def _replace_file(connection: Connection, source: str, digest: str, chunks: list[Chunk]) -> bool:
    stored = connection.execute(
        select(knowledge_files.c.digest).where(knowledge_files.c.source == source)
    ).scalar_one_or_none()
    if stored == digest:
        return False
    connection.execute(delete(knowledge_chunks).where(knowledge_chunks.c.source == source))
    connection.execute(delete(knowledge_files).where(knowledge_files.c.source == source))
    connection.execute(
        insert(knowledge_files),
        {"source": source, "digest": digest, "indexed_at": datetime.now(UTC)},
    )
    if chunks:
        connection.execute(
            insert(knowledge_chunks),
            [row_values(chunk, source=source) for chunk in chunks],
        )
    return True


def _remove_files(connection: Connection, keep: set[str], under: str) -> int:
    sources = connection.execute(select(knowledge_files.c.source)).scalars().all()
    prefix = under.rstrip("/") + "/" if under else ""
    gone = [s for s in sources if s.startswith(prefix) and s not in keep]
    for source in gone:
        connection.execute(delete(knowledge_chunks).where(knowledge_chunks.c.source == source))
        connection.execute(delete(knowledge_files).where(knowledge_files.c.source == source))
    return len(gone)
