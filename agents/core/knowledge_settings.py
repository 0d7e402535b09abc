"""How the knowledge agent answers (placeholder: being filled in by the knowledge work)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["KnowledgeSettings"]


@dataclass(frozen=True, slots=True)
class KnowledgeSettings:
    """Knowledge agent settings."""

    base_url: str | None = None
