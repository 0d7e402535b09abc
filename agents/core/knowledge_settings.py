"""How the knowledge agent answers: links, how much of a question a section must cover, and
who owns which topic (suggested when nothing is found)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["KnowledgeSettings"]


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
