"""An in-memory ``KnowledgeIndex`` for agent tests: ranks chunks by shared content words."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from agents.kernel.words import content_words
from agents.memory.knowledge import Chunk, Hit, Miss

__all__ = ["WordIndex"]


class WordIndex:
    """A fake index: ranks chunks by shared content words."""

    def __init__(self, chunks: Sequence[Chunk]) -> None:
        self.chunks = list(chunks)
        self.missed: list[Miss] = []

    async def replace_file(self, source: str, *, digest: str, chunks: Sequence[Chunk]) -> bool:
        self.chunks = [c for c in self.chunks if c.source != source] + list(chunks)
        return True

    async def remove_files(self, *, keep: Collection[str], under: str = "") -> int:
        gone = {
            c.source for c in self.chunks if c.source.startswith(under) and c.source not in keep
        }
        self.chunks = [c for c in self.chunks if c.source not in gone]
        return len(gone)

    async def search(self, query: str, *, limit: int = 5) -> Sequence[Hit]:
        wanted = set(content_words(query))
        scored = [
            Hit(c, float(len(wanted & set(content_words(f"{c.heading} {c.text}")))))
            for c in self.chunks
        ]
        return sorted((h for h in scored if h.score), key=lambda h: -h.score)[:limit]

    async def record_miss(self, miss: Miss) -> None:
        self.missed.append(miss)

    async def misses(self, *, limit: int = 100) -> Sequence[Miss]:
        return self.missed[::-1][:limit]
