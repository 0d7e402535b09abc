"""The PagerDuty stand-in's fixed data and the JSON it answers with: services, the escalation
policy, the weekly schedule and its on-call windows, incidents, and what makes an Events API
event invalid (see :mod:`sandbox.pagerduty_api`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

__all__ = [
    "ACTIONS",
    "EPOCH",
    "INTEGRATION",
    "POLICY",
    "ROUTING_KEYS",
    "SCHEDULE_ID",
    "SCHEDULE_NAME",
    "SCHEDULE_USERS",
    "SERVICES",
    "SEVERITIES",
    "SHIFT",
    "USERS",
    "PdEvent",
    "PdIncident",
    "earliest",
    "email_of",
    "incident",
    "instant",
    "invalid",
    "iso",
    "oncall_entries",
    "policy",
    "ref",
    "schedule_ref",
    "service",
    "user",
    "webhook_incident",
]

JSON = dict[str, Any]
SEVERITIES = frozenset({"critical", "error", "warning", "info"})
ACTIONS = frozenset({"trigger", "acknowledge", "resolve"})
EPOCH = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)  # a Monday, 09:00 UTC
SHIFT = timedelta(days=7)
ROUTING_KEYS = {"checkout": "R" + "0" * 30 + "1", "payments": "R" + "0" * 30 + "2"}


@dataclass(frozen=True, slots=True)
class PdEvent:
    """One event the Events API accepted."""

    routing_key: str
    event_action: str
    dedup_key: str
    payload: JSON


@dataclass(slots=True)
class PdIncident:
    """An incident a trigger opened."""

    id: str
    number: int
    service_id: str
    dedup_key: str
    title: str
    urgency: str
    status: str = "triggered"
    assignee: str = "PUSER01"
    created_at: str = ""


def ref(kind: str, ident: str, summary: str) -> JSON:
    return {
        "id": ident,
        "type": f"{kind}_reference",
        "summary": summary,
        "self": f"https://api.pagerduty.com/{kind}s/{ident}",
        "html_url": f"https://example.pagerduty.com/{kind}s/{ident}",
    }


USERS = {"PUSER01": "Ada Lovelace", "PUSER02": "Grace Hopper", "PUSER03": "Edsger Dijkstra"}


def email_of(user_id: str) -> str:
    """A stand-in user's login email (``ada.lovelace@example.com``)."""
    return USERS[user_id].lower().replace(" ", ".") + "@example.com"


def user(user_id: str) -> JSON:
    """The full user object (what ``include[]=users`` puts in place of a reference)."""
    return {
        **ref("user", user_id, USERS[user_id]),
        "type": "user",
        "name": USERS[user_id],
        "email": email_of(user_id),
        "time_zone": "Etc/UTC",
        "role": "user",
    }


SCHEDULE_ID, SCHEDULE_NAME = "PSCHED1", "Checkout primary"
SCHEDULE_USERS = ("PUSER01", "PUSER02")
POLICY = {"id": "PESCAL1", "name": "Checkout escalation"}
SERVICES = {
    "PSVC001": {"name": "checkout", "policy": "PESCAL1"},
    "PSVC002": {"name": "payments", "policy": "PESCAL1"},
}


def invalid(event: object, routing_keys: set[str]) -> list[str]:
    """What is wrong with an event, as the Events API words it (empty: valid)."""
    if not isinstance(event, dict):
        return ["Event object must be a JSON object"]
    errors: list[str] = []
    if event.get("routing_key") not in routing_keys:
        errors.append("Length of 'routing_key' is incorrect (should be 32 characters)")
    action = event.get("event_action")
    if action not in ACTIONS:
        errors.append("'event_action' is invalid (must be one of trigger, acknowledge, resolve)")
    if action in ("acknowledge", "resolve") and not event.get("dedup_key"):
        errors.append("'dedup_key' is required for acknowledge and resolve")
    if action == "trigger":
        payload = event.get("payload")
        if not isinstance(payload, dict):
            return [*errors, "'payload' is missing or not an object"]
        for name in ("summary", "source"):
            if not isinstance(payload.get(name), str) or not payload[name]:
                errors.append(f"'payload.{name}' is missing or blank")
        if payload.get("severity") not in SEVERITIES:
            errors.append("'payload.severity' must be one of critical, error, warning, info")
    return errors


def instant(text: str | None) -> datetime | None:
    if not text:
        return None
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def service(ident: str) -> JSON:
    service = SERVICES[ident]
    return {
        **ref("service", ident, service["name"]),
        "type": "service",
        "name": service["name"],
        "status": "active",
        "escalation_policy": ref("escalation_policy", service["policy"], POLICY["name"]),
    }


def policy() -> JSON:
    return {
        **ref("escalation_policy", POLICY["id"], POLICY["name"]),
        "type": "escalation_policy",
        "name": POLICY["name"],
        "escalation_rules": [
            {"escalation_delay_in_minutes": 30, "targets": [schedule_ref()]},
            {"escalation_delay_in_minutes": 30, "targets": [ref("user", "PUSER03", "")]},
        ],
    }


def schedule_ref() -> JSON:
    return ref("schedule", SCHEDULE_ID, SCHEDULE_NAME)


def incident(incident: PdIncident) -> JSON:
    return {
        **ref("incident", incident.id, incident.title),
        "type": "incident",
        "incident_number": incident.number,
        "title": incident.title,
        "status": incident.status,
        "urgency": incident.urgency,
        "incident_key": incident.dedup_key,
        "service": ref("service", incident.service_id, SERVICES[incident.service_id]["name"]),
    }


def webhook_incident(opened: PdIncident) -> JSON:
    """The V3 webhook's ``incident`` data type (``event.data`` of ``incident.*`` events):
    the REST incident's fields, ``number`` for ``incident_number``, and the rest."""
    data = incident(opened)
    data["number"] = data.pop("incident_number")
    data["assignees"] = [ref("user", opened.assignee, USERS[opened.assignee])]
    data["escalation_policy"] = ref("escalation_policy", POLICY["id"], POLICY["name"])
    data.update(created_at=opened.created_at, teams=[], priority=None, resolve_reason=None)
    return data


INTEGRATION = {
    "id": "PINTEG1",
    "type": "inbound_integration_reference",
    "summary": "Events API V2",
    "self": "https://api.pagerduty.com/services/PSVC001/integrations/PINTEG1",
    "html_url": "https://example.pagerduty.com/services/PSVC001/integrations/PINTEG1",
}
"""The agent of changes made through the Events API."""


def oncall_entries(since: datetime, until: datetime) -> list[JSON]:
    """Every on-call window overlapping ``[since, until]``: the schedule's weekly shifts at
    level 1, and the always-on-call user at level 2 (no start or end)."""
    policy = ref("escalation_policy", POLICY["id"], POLICY["name"])
    users = SCHEDULE_USERS
    entries: list[JSON] = []
    index = (since - EPOCH) // SHIFT
    start = EPOCH + index * SHIFT
    while start <= until:
        user = users[index % len(users)]
        entries.append(
            {
                "escalation_policy": policy,
                "escalation_level": 1,
                "schedule": schedule_ref(),
                "user": ref("user", user, USERS[user]),
                "start": iso(start),
                "end": iso(start + SHIFT),
            }
        )
        index, start = index + 1, start + SHIFT
    entries.append(
        {
            "escalation_policy": policy,
            "escalation_level": 2,
            "schedule": None,
            "user": ref("user", "PUSER03", USERS["PUSER03"]),
            "start": None,
            "end": None,
        }
    )
    return entries


def earliest(entries: list[JSON]) -> list[JSON]:
    """Only the earliest entry per (escalation policy, level, user), as ``earliest=true``."""
    seen: set[tuple[str, int, str]] = set()
    kept: list[JSON] = []
    for entry in entries:
        key = (entry["escalation_policy"]["id"], entry["escalation_level"], entry["user"]["id"])
        if key not in seen:
            seen.add(key)
            kept.append(entry)
    return kept
