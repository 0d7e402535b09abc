"""The ``oncall:`` section: rotations and their overrides, the rules on them, and the
domain's :class:`Rotation` values."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from pydantic import AwareDatetime, Field

from agents.incidents.rotation import Override, Rotation
from bot.config_file.sections.base import Duration, Name, Problem, Strict, UserId, repeats

__all__ = [
    "OncallModel",
    "OverrideModel",
    "RotationModel",
    "check_oncall",
    "to_rotations",
]

# Quoted (or second-less) timestamps reach pydantic as text, which strict mode would refuse.
Instant = Annotated[AwareDatetime, Field(strict=False)]


class OverrideModel(Strict):
    """``user`` is on call from ``start`` to ``end`` instead of the rotation."""

    user: UserId
    start: Instant
    end: Instant


class RotationModel(Strict):
    """A rotation: ``users`` take turns of ``shift`` each, the first from ``start``."""

    name: Name
    users: list[UserId] = Field(min_length=1)
    start: Instant = Field(description='when the first shift began, e.g. "2026-11-02T09:00Z"')
    shift: Duration
    overrides: list[OverrideModel] = []


class OncallModel(Strict):
    """On-call rotations."""

    rotations: list[RotationModel] = []


def to_rotations(model: OncallModel) -> tuple[Rotation, ...]:
    """The domain's rotations."""
    return tuple(
        Rotation(
            name=rotation.name,
            users=tuple(rotation.users),
            start=rotation.start,
            shift=rotation.shift,
            overrides=tuple(Override(**dict(o)) for o in rotation.overrides),
        )
        for rotation in model.rotations
    )


def check_oncall(model: OncallModel) -> Iterator[Problem]:
    """Rotation names are unique and every override ends after it starts (absolute
    locations)."""
    repeated = {
        index: name for index, name, _ in repeats(enumerate(r.name for r in model.rotations))
    }
    for index, rotation in enumerate(model.rotations):
        if index in repeated:
            yield ("oncall", "rotations", index, "name"), f"duplicate rotation {rotation.name!r}"
        for position, override in enumerate(rotation.overrides):
            if override.end <= override.start:
                yield (
                    ("oncall", "rotations", index, "overrides", position, "end"),
                    "must be after start",
                )
