"""Runbook knowledge: chunks of Markdown files, full-text search over them, and the misses.

The index lives in the database (SQLite FTS5 with BM25, PostgreSQL ``tsvector``); the
domain sees only this port.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

__all__ = ["Chunk", "Hit", "KnowledgeIndex", "KnowledgeSettings", "Miss"]


@dataclass(frozen=True, slots=True)
class Chunk:
    """One section of a runbook.

    Attributes:
        source: the file's path as given to the indexer (relative, with ``/``).
        heading: the heading path, e.g. ``Payments > Rollback``.
        anchor: the heading's URL fragment (GitHub style), for links.
        position: the chunk's order within its file.
    """

    source: str
    heading: str
    anchor: str
    text: str
    position: int


@dataclass(frozen=True, slots=True)
class Hit:
    """A chunk found by a search, with a relevance score (higher is better, comparable across
    searches on one engine)."""

    chunk: Chunk
    score: float


@dataclass(frozen=True, slots=True)
class Miss:
    """A question the knowledge base could not answer (for reviewers: what the docs lack)."""

    team_id: str
    channel_id: str
    user_id: str
    query: str
    at: datetime


class KnowledgeIndex(Protocol):
    """Chunks by file, full-text search, and the record of misses."""

    async def replace_file(self, source: str, *, digest: str, chunks: Sequence[Chunk]) -> bool:
        """Replace a file's chunks; False (and nothing written) when ``digest`` is unchanged."""
        ...

    async def remove_files(self, *, keep: Collection[str], under: str = "") -> int:
        """Delete the chunks of files under ``under`` that are not in ``keep``; returns how
        many files were removed."""
        ...

    async def search(self, query: str, *, limit: int = 5) -> Sequence[Hit]:
        """The best chunks for ``query``, best first."""
        ...

    async def record_miss(self, miss: Miss) -> None:
        """Store a question that found nothing good enough."""
        ...

    async def misses(self, *, limit: int = 100) -> Sequence[Miss]:
        """Recorded misses, newest first."""
        ...


@dataclass(frozen=True, slots=True)
class KnowledgeSettings:
    """Knowledge agent settings.

    Attributes:
        base_url: where the runbooks are browsable; citations become links
            ``{base_url}/{source}#{anchor}``.
        min_coverage: the share of the question's content words a section must contain to be
            quoted (engine-independent, unlike raw rank scores).
        max_chunks: at most this many sections are quoted.
        owners: ``(topic word, owner)`` pairs, e.g. ``("payments", "<@U0ANA>")``.
    """

    base_url: str | None = None
    min_coverage: float = 0.5
    max_chunks: int = 3
    owners: tuple[tuple[str, str], ...] = ()
