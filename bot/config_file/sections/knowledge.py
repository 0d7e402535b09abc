"""The ``knowledge:`` section: how the knowledge agent answers from the indexed runbooks, and
the domain's :class:`KnowledgeSettings`."""

from __future__ import annotations

from pydantic import Field

from agents.memory.knowledge import KnowledgeSettings
from bot.config_file.sections.base import Strict

__all__ = ["KnowledgeModel", "to_knowledge_settings"]


class KnowledgeModel(Strict):
    """How the knowledge agent answers from the indexed runbooks."""

    base_url: str | None = Field(None, description="where runbooks are browsable, for links")
    min_coverage: float = Field(
        0.5, gt=0, le=1, description="share of the question's words a section must contain"
    )
    max_chunks: int = Field(3, ge=1, le=10)
    owners: dict[str, str] = Field({}, description='topic word -> owner, e.g. payments: "@ana"')


def to_knowledge_settings(model: KnowledgeModel) -> KnowledgeSettings:
    """The domain's knowledge settings (owners as ``(topic, owner)`` pairs, in file order)."""
    return KnowledgeSettings(
        base_url=model.base_url,
        min_coverage=model.min_coverage,
        max_chunks=model.max_chunks,
        owners=tuple(model.owners.items()),
    )
