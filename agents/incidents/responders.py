"""Who responds to a declared incident from PagerDuty: the person on call now at the first
escalation level of the service named at declaration (``service=checkout``), matched to a
Slack user by email by the directory. A matched person is invited to the incident channel
and shown as a mention; an unmatched one is named (on the timeline and the card). PagerDuty
not answering leaves the configured rotation's person as the only on-call.
"""

from __future__ import annotations

import re
from datetime import datetime

import structlog

from agents.incidents.records import Incident, TimelineEntry
from agents.incidents.schedules import OncallDirectory, OncallShift, OncallUnavailable

__all__ = ["ONCALL_NOTE", "first_responder", "oncall_entry", "oncall_name"]

log = structlog.get_logger(__name__)

ONCALL_NOTE = "On call for {service} (PagerDuty): {person}"
_ONCALL = re.compile(r"^On call for (?P<service>\S+) \(PagerDuty\): (?P<person>.+)$")


async def first_responder(
    directory: OncallDirectory | None, service: str | None, *, now: datetime
) -> OncallShift | None:
    """The person on call now at ``service``'s first escalation level (None: no directory,
    a service it does not know, nobody on call, or it could not answer)."""
    if directory is None or service is None or service not in directory.services():
        return None
    try:
        oncall = await directory.oncall(service, now=now)
    except OncallUnavailable as exc:
        log.warning("incident_responder_unknown", service=service, reason=str(exc))
        return None
    return oncall.levels[0].now if oncall.levels else None


def oncall_entry(shift: OncallShift, *, service: str, at: datetime, user_id: str) -> TimelineEntry:
    """The timeline's note of who PagerDuty has on call (a mention when matched)."""
    text = ONCALL_NOTE.format(service=service, person=shift.shown)
    return TimelineEntry(at, user_id, "note", text)


def oncall_name(incident: Incident) -> str | None:
    """Who PagerDuty had on call at declaration, as the timeline names them (None: nobody)."""
    for entry in incident.timeline:
        found = _ONCALL.match(entry.text) if entry.kind == "note" else None
        if found is not None:
            return found.group("person")
    return None
