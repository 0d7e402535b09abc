"""The ``router:`` section: the confidence threshold and the optional LLM classifier, the rule
that the classifier names a declared provider, and the domain's :class:`RouterSettings`."""

from __future__ import annotations

from collections.abc import Iterator, Set

from pydantic import Field

from agents.turns.profiles import RouterSettings
from bot.config_file.sections.base import Name, Problem, Strict

__all__ = ["ClassifierModel", "RouterModel", "check_router", "to_router_settings"]


class ClassifierModel(Strict):
    """An LLM that picks the agent when rules are not confident."""

    provider: Name
    model: str = Field(min_length=1)


class RouterModel(Strict):
    """Routing: below ``threshold`` the bot asks which agent was meant."""

    threshold: float = Field(0.5, gt=0, le=1)
    classifier: ClassifierModel | None = None


def to_router_settings(model: RouterModel) -> RouterSettings:
    """The domain's router settings."""
    classifier = model.classifier
    return RouterSettings(
        threshold=model.threshold,
        classifier_provider=classifier.provider if classifier else None,
        classifier_model=classifier.model if classifier else None,
    )


def check_router(model: RouterModel, *, providers: Set[str]) -> Iterator[Problem]:
    """The classifier must name a declared provider (absolute locations)."""
    classifier = model.classifier
    if classifier is not None and classifier.provider not in providers:
        yield ("router", "classifier", "provider"), f"unknown provider {classifier.provider!r}"
