"""The ``incidents:`` section: how incidents are declared and reminded, the rule that the
on-call rotation exists, and the domain's :class:`IncidentSettings`."""

from __future__ import annotations

from collections.abc import Iterator, Set
from typing import Annotated

from pydantic import Field, StringConstraints

from agents.incidents.rotation import DEFAULT_UPDATE_INTERVALS, IncidentSettings
from bot.config_file.sections.base import Duration, Name, Problem, Strict

__all__ = ["IncidentsModel", "check_incidents", "to_incident_settings"]

Severity = Annotated[str, StringConstraints(pattern=r"^sev[0-9]$")]


class IncidentsModel(Strict):
    """How incidents are declared and reminded."""

    oncall_rotation: Name | None = Field(None, description="rotation whose on-call is invited")
    channel_prefix: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,20}$")] = "inc"
    default_severity: Severity = "sev2"
    update_intervals: dict[Severity, Duration] | None = Field(
        None,
        description="per severity, how long without a status update before the incident "
        "channel is reminded (default sev1 30m, sev2 1h; {} turns reminders off)",
    )


def to_incident_settings(model: IncidentsModel) -> IncidentSettings:
    """The domain's incident settings."""
    intervals = (
        DEFAULT_UPDATE_INTERVALS if model.update_intervals is None else model.update_intervals
    )
    return IncidentSettings(
        oncall_rotation=model.oncall_rotation,
        channel_prefix=model.channel_prefix,
        default_severity=model.default_severity,
        update_intervals=dict(intervals),
    )


def check_incidents(model: IncidentsModel, *, rotations: Set[str]) -> Iterator[Problem]:
    """The on-call rotation must be declared under ``oncall`` (absolute locations); reminder
    intervals must be positive."""
    wanted = model.oncall_rotation
    if wanted is not None and wanted not in rotations:
        yield ("incidents", "oncall_rotation"), f"unknown rotation {wanted!r}"
    for severity, interval in (model.update_intervals or {}).items():
        if interval.total_seconds() <= 0:
            yield ("incidents", "update_intervals", severity), "must be longer than 0s"
