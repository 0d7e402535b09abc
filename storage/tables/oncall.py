"""On-call tables: incidents, their timelines and follow-ups."""

from __future__ import annotations

from typing import get_args

import sqlalchemy as sa

from agents.incidents.records import IncidentStatus, TimelineKind
from storage.tables.columns import optional, owned_by, required, required_strings, serial_id
from storage.tables.schema import check, table
from storage.tables.types import UtcDateTime

__all__ = [
    "INCIDENT_STATUSES",
    "TIMELINE_KINDS",
    "incident_followups",
    "incident_timeline",
    "incidents",
]

INCIDENT_STATUSES: tuple[str, ...] = get_args(IncidentStatus)
TIMELINE_KINDS: tuple[str, ...] = get_args(TimelineKind)

incidents = table(
    "incidents",
    required("incident_id"),
    *required_strings("team_id", "channel_id", "channel_name", "origin_channel_id"),
    required("title", sa.Text),
    *required_strings("severity", "status", "reporter"),
    required("declared_at", UtcDateTime),
    optional("resolved_at", UtcDateTime),
    optional("lead"),
    optional("comms"),
    optional("oncall"),
    optional("card_ts"),
    optional("reminded_at", UtcDateTime),
    sa.UniqueConstraint("team_id", "channel_id"),
    check("status", *INCIDENT_STATUSES),
    key=("incident_id",),
    indexes=[("team_id", "status")],
)

incident_timeline = table(
    "incident_timeline",
    serial_id(),
    owned_by("incident_id", sa.String, "incidents.incident_id"),
    required("at", UtcDateTime),
    *required_strings("user_id", "kind"),
    required("text", sa.Text),
    optional("source_ts"),
    optional("link", sa.Text),
    check("kind", *TIMELINE_KINDS),
    # A pinned message is on its incident's timeline once (NULLs, every other kind, repeat).
    sa.UniqueConstraint("incident_id", "source_ts"),
    indexes=[("incident_id", "id")],
)

incident_followups = table(
    "incident_followups",
    required("followup_id"),
    owned_by("incident_id", sa.String, "incidents.incident_id"),
    required("at", UtcDateTime),
    required("user_id"),
    required("text", sa.Text),
    optional("issue_number", sa.Integer),
    optional("issue_url", sa.Text),
    key=("followup_id",),
    indexes=[("incident_id", "at")],
)
