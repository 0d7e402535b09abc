"""Incidents as the domain knows them: the incident, its status, roles, timeline and
follow-ups."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal, get_args

__all__ = [
    "PAGERDUTY_AUTHOR",
    "ROLES",
    "FollowUp",
    "Incident",
    "IncidentStatus",
    "Role",
    "RoleChange",
    "TimelineEntry",
    "TimelineKind",
]

IncidentStatus = Literal["investigating", "identified", "monitoring", "resolved"]
TimelineKind = Literal["declared", "status", "note", "resolved", "role", "pinned"]
Role = Literal["lead", "comms"]
ROLES: tuple[Role, ...] = get_args(Role)
PAGERDUTY_AUTHOR = "pagerduty"
"""The ``user_id`` of timeline entries PagerDuty's webhooks wrote (no Slack id looks like
it)."""


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """One line of an incident's timeline.

    Attributes:
        kind: ``declared``, ``status`` (a status change), ``note``, ``resolved``, ``role``
            (someone took or was given a role) or ``pinned`` (a message 📌-reacted or pinned
            in the incident channel).
        user_id: who wrote it; for ``pinned``, the author of the pinned message.
        source_ts: for ``pinned``, the pinned message's ts (a message is on the timeline
            once, however often it is pinned or its event delivered).
        link: for ``pinned``, the message's permalink.
    """

    at: datetime
    user_id: str
    kind: TimelineKind
    text: str
    source_ts: str | None = None
    link: str | None = None

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
class RoleChange:
    """A role handed to someone, compare-and-set: it lands only if ``holder`` (None: nobody)
    still holds ``role`` of the incident, together with ``entry`` saying so.

    Attributes:
        user_id: who gets the role.
        holder: who held it when the change was decided.
    """

    incident_id: str
    role: Role
    user_id: str
    entry: TimelineEntry
    holder: str | None


@dataclass(frozen=True, slots=True)
class FollowUp:
    """Work to do after the incident, captured while it runs.

    Attributes:
        followup_id: stable id (``<incident_id>-f<n>``); the ticket's idempotency marker.
        issue_url: the ticket created for it (None until one is).
    """

    followup_id: str
    incident_id: str
    at: datetime
    user_id: str
    text: str
    issue_number: int | None = None
    issue_url: str | None = None


@dataclass(frozen=True, slots=True)
class Incident:
    """A declared incident and its dedicated channel.

    Attributes:
        channel_id: the ``#inc-<date>-<slug>`` channel created for it.
        origin_channel_id: where it was declared.
        lead, comms: who holds each role (None: nobody yet).
        oncall: who was on call when it was declared (invited to the channel).
        card_ts: the summary card's message ts in the incident channel; role clicks count
            only on this message.
        reminded_at: when the last "post a status update" reminder went out.
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
    lead: str | None = None
    comms: str | None = None
    oncall: str | None = None
    card_ts: str | None = None
    reminded_at: datetime | None = None
    followups: tuple[FollowUp, ...] = ()

    def holder(self, role: Role) -> str | None:
        """Who holds ``role``."""
        return self.lead if role == "lead" else self.comms

    @property
    def last_update_at(self) -> datetime:
        """When the status was last set (declared counts as the first status)."""
        stamps = [e.at for e in self.timeline if e.kind in ("declared", "status")]
        return max(stamps, default=self.declared_at)
