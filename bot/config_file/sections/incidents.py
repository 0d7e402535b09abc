"""The ``incidents:`` section: how incidents are declared, the rule that the on-call rotation
exists, and the domain's :class:`IncidentSettings`."""

from __future__ import annotations

from collections.abc import Iterator, Set
from typing import Annotated

from pydantic import Field, StringConstraints

from agents.incidents.rotation import IncidentSettings
from bot.config_file.sections.base import Name, Problem, Strict

__all__ = ["IncidentsModel", "check_incidents", "to_incident_settings"]


class IncidentsModel(Strict):
    """How incidents are declared."""

    oncall_rotation: Name | None = Field(None, description="rotation whose on-call is invited")
    channel_prefix: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,20}$")] = "inc"
    default_severity: Annotated[str, StringConstraints(pattern=r"^sev[0-9]$")] = "sev2"


def to_incident_settings(model: IncidentsModel) -> IncidentSettings:
    """The domain's incident settings (the fields match one to one)."""
    return IncidentSettings(**dict(model))


def check_incidents(model: IncidentsModel, *, rotations: Set[str]) -> Iterator[Problem]:
    """The on-call rotation must be declared under ``oncall`` (absolute locations)."""
    wanted = model.oncall_rotation
    if wanted is not None and wanted not in rotations:
        yield ("incidents", "oncall_rotation"), f"unknown rotation {wanted!r}"
