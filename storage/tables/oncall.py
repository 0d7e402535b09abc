"""On-call tables: incidents, their timelines and follow-ups."""

from __future__ import annotations

from typing import get_args

import sqlalchemy as sa

from agents.incidents.records import IncidentStatus, TimelineKind
from storage.tables.columns import (
    UtcDateTime,
    metadata,
    one_of,
    optional,
    owned_by,
    required,
    serial_id,
)

__all__ = [
    "INCIDENT_STATUSES",
    "TIMELINE_KINDS",
    "incident_followups",
    "incident_timeline",
    "incidents",
]

INCIDENT_STATUSES: tuple[str, ...] = get_args(IncidentStatus)
TIMELINE_KINDS: tuple[str, ...] = get_args(TimelineKind)

incidents = sa.Table(
    "incidents",
    metadata,
    sa.Column("incident_id", sa.String, primary_key=True),
    required("team_id"),
    required("channel_id"),
    required("channel_name"),
    required("origin_channel_id"),
    required("title", sa.Text),
    required("severity"),
    required("status"),
    required("reporter"),
    required("declared_at", UtcDateTime),
    optional("resolved_at", UtcDateTime),
    optional("lead"),
    optional("comms"),
    optional("oncall"),
    optional("card_ts"),
    optional("reminded_at", UtcDateTime),
    sa.UniqueConstraint("team_id", "channel_id"),
    sa.CheckConstraint(one_of("status", INCIDENT_STATUSES), name="status"),
    sa.Index("ix_incidents_team_id_status", "team_id", "status"),
)

incident_timeline = sa.Table(
    "incident_timeline",
    metadata,
    serial_id(),
    owned_by("incident_id", sa.String, "incidents.incident_id"),
    required("at", UtcDateTime),
    required("user_id"),
    required("kind"),
    required("text", sa.Text),
    optional("source_ts"),
    optional("link", sa.Text),
    sa.CheckConstraint(one_of("kind", TIMELINE_KINDS), name="kind"),
    sa.Index("ix_incident_timeline_incident_id_id", "incident_id", "id"),
    # A pinned message is on its incident's timeline once (NULLs, every other kind, repeat).
    sa.UniqueConstraint("incident_id", "source_ts"),
)

incident_followups = sa.Table(
    "incident_followups",
    metadata,
    sa.Column("followup_id", sa.String, primary_key=True),
    owned_by("incident_id", sa.String, "incidents.incident_id"),
    required("at", UtcDateTime),
    required("user_id"),
    required("text", sa.Text),
    optional("issue_number", sa.Integer),
    optional("issue_url", sa.Text),
    sa.Index("ix_incident_followups_incident_id_at", "incident_id", "at"),
)
