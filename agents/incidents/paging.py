"""Paging a service's on-call from an incident: trigger, acknowledge and resolve, each an action
requested through the normal policy and approval path (never sent directly).

Every event of one incident and service carries the same dedup key,
``switchboard-<incident id>-<service>``: PagerDuty deduplicates on it, so a rerun after a
crash (or a second request) pages nobody twice, and acknowledge and resolve reach the alert
the trigger opened. A request is noted on the incident's timeline in a fixed form
(:data:`PAGED_NOTE`), which is how a later ``page resolve`` or the resolve offer finds which
services were paged, with no schema of its own.

Commands (in the incident's channel): ``page <service>``, ``page ack [service]``,
``page resolve [service]``; and ``declare … service=<service>`` pages as it declares.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, Protocol

from agents.incidents.ports import IncidentStore
from agents.incidents.records import Incident, TimelineEntry
from agents.kernel.clock import Clock
from agents.kernel.models import Inbound, Reply

__all__ = [
    "PAGED_NOTE",
    "IncidentPaging",
    "PageEvent",
    "PageRequests",
    "dedup_key",
    "paged_services",
    "split_service",
]

PageEvent = Literal["trigger", "acknowledge", "resolve"]
PAGED_NOTE = "PagerDuty: paging {service} requested (dedup key {key})"
_PAGED = re.compile(r"^PagerDuty: paging (?P<service>\S+) requested \(dedup key (?P<key>\S+)\)$")
_COMMAND = re.compile(
    r"^\s*page\s+(?:(?P<verb>ack|acknowledge|resolve)\b\s*)?(?P<service>[a-z0-9][a-z0-9_-]*)?\s*$",
    re.IGNORECASE,
)
_SERVICE = re.compile(r"(?:^|\s)service=(?P<service>[a-z0-9][a-z0-9_-]*)(?=\s|$)", re.IGNORECASE)
_SEVERITY = {"sev1": "critical", "sev2": "error", "sev3": "warning"}


class PageRequests(Protocol):
    """Requests a paging action like any other action (policy, approval card, job)."""

    def pageable(self) -> tuple[str, ...]:
        """The services that can be paged (they have a routing key)."""
        ...

    async def request(
        self, inbound: Inbound, *, event: PageEvent, values: Mapping[str, str]
    ) -> Reply:
        """The approval card (``approval_id`` set), a question, or a refusal."""
        ...


def dedup_key(incident_id: str, service: str) -> str:
    """The one dedup key of ``service``'s page for this incident."""
    return f"switchboard-{incident_id}-{service}"


def paged_services(incident: Incident) -> dict[str, str]:
    """Service → dedup key of every page requested for the incident (from its timeline)."""
    found: dict[str, str] = {}
    for entry in incident.timeline:
        matched = _PAGED.match(entry.text) if entry.kind == "note" else None
        if matched is not None:
            found[matched.group("service")] = matched.group("key")
    return found


def split_service(text: str) -> tuple[str, str | None]:
    """``text`` without its ``service=<name>`` word, and the name (lower case) if given."""
    found = _SERVICE.search(text)
    if found is None:
        return text, None
    rest = (text[: found.start()] + " " + text[found.end() :]).strip()
    return " ".join(rest.split()), found.group("service").lower()


@dataclass(frozen=True, slots=True)
class IncidentPaging:
    """The incident agent's paging: parse a command, request the action, note it."""

    requests: PageRequests
    store: IncidentStore
    clock: Clock

    def command(self, text: str) -> tuple[PageEvent, str | None] | None:
        """``(event, service)`` when ``text`` is a page command, else None."""
        found = _COMMAND.match(text)
        if found is None:
            return None
        verb = (found.group("verb") or "").lower()
        event: PageEvent = "trigger"
        if verb:
            event = "resolve" if verb == "resolve" else "acknowledge"
        service = found.group("service")
        return event, service.lower() if service else None

    async def page(
        self, inbound: Inbound, incident: Incident, *, event: PageEvent, service: str | None
    ) -> Reply:
        """Request ``event`` for ``service`` (for ack/resolve, the one service paged if not
        named); the card, or why not."""
        paged = paged_services(incident)
        if service is None and event != "trigger" and len(paged) == 1:
            service = next(iter(paged))
        known = self.requests.pageable()
        if service is None or service not in known:
            names = ", ".join(f"`{s}`" for s in known) or "none configured"
            asked = f"{service!r} is not a PagerDuty service I can page. " if service else ""
            return Reply(text=f"{asked}Name one of: {names} (`incident: page <service>`).")
        if event != "trigger" and service not in paged:
            return Reply(text=f"`{service}` was not paged for this incident.")
        values = {"service": service, "dedup_key": dedup_key(incident.incident_id, service)}
        if event == "trigger":
            values["summary"] = f"[{incident.severity}] {incident.title}"[:1024]
            values["severity"] = _SEVERITY.get(incident.severity, "critical")
        reply = await self.requests.request(inbound, event=event, values=values)
        if event == "trigger" and reply.approval_id is not None and service not in paged:
            note = PAGED_NOTE.format(service=service, key=values["dedup_key"])
            entry = TimelineEntry(self.clock.now(), inbound.user_id, "note", note)
            await self.store.add_entry(incident.incident_id, entry)
        return reply

    @staticmethod
    def resolve_offer(incident: Incident) -> str:
        """What resolving says of the PagerDuty alerts this incident opened (empty: none)."""
        paged = paged_services(incident)
        if not paged:
            return ""
        commands = ", ".join(f"`incident: page resolve {s}`" for s in sorted(paged))
        return (
            f"\n\nPagerDuty was paged for this incident. To resolve it there too: {commands} "
            "(needs approval)."
        )
