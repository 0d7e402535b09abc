"""Incidents as the domain knows them: the incident, its status and its timeline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal, get_args

__all__ = ["Incident", "IncidentStatus", "TimelineEntry", "TimelineKind"]

IncidentStatus = Literal["investigating", "identified", "monitoring", "resolved"]
TimelineKind = Literal["declared", "status", "note", "resolved"]


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """One line of an incident's timeline.

    Attributes:
        kind: ``declared``, ``status`` (a status change), ``note`` or ``resolved``.
    """

    at: datetime
    user_id: str
    kind: TimelineKind
    text: str

    @property
    def sets_status(self) -> IncidentStatus | None:
        """The status the incident has after this entry: a ``status`` entry's text, or
        ``resolved``; None when the entry leaves the status as it was."""
        if self.kind == "resolved":
            return "resolved"
        if self.kind == "status":
            return next((s for s in get_args(IncidentStatus) if s == self.text), None)
        return None


@dataclass(frozen=True, slots=True)
class Incident:
    """A declared incident and its dedicated channel.

    Attributes:
        channel_id: the ``#inc-<date>-<slug>`` channel created for it.
        origin_channel_id: where it was declared.
    """

    incident_id: str
    team_id: str
    channel_id: str
    channel_name: str
    origin_channel_id: str
    title: str
    severity: str
    status: IncidentStatus
    reporter: str
    declared_at: datetime
    resolved_at: datetime | None = None
    timeline: tuple[TimelineEntry, ...] = ()
