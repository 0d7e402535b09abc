"""Paging from the incident's summary card: the buttons it offers (page a service, and
acknowledge or resolve a page) and the check a click passes before it becomes the typed
command it stands for.

A click counts only on the incident's own card (:func:`~agents.incidents.roles.own_card`),
while the incident is open, and only for a control the card offers now (a stale button, such
as acknowledging a page PagerDuty resolved meanwhile, is refused). What it then runs is the
command a person would type in the channel (``page checkout``, ``page ack checkout``,
``page resolve checkout``), as the clicker, so it passes the same gates: who may request,
validation, the approval card and its quorum, one durable job.
"""

from __future__ import annotations

from dataclasses import dataclass

from agents.incidents.pagerduty_news import pagerduty_states
from agents.incidents.paging import PageEvent, paged_services
from agents.incidents.ports import IncidentStore
from agents.incidents.records import Incident
from agents.incidents.roles import NOT_A_CARD, own_card

__all__ = ["MAX_CONTROLS", "PageButtons", "PageClick", "page_command", "page_controls"]

MAX_CONTROLS = 10
"""The most paging buttons one card shows (Slack allows 25 elements in an actions block)."""
_COMMANDS: dict[PageEvent, str] = {
    "trigger": "page {service}",
    "acknowledge": "page ack {service}",
    "resolve": "page resolve {service}",
}


def page_controls(incident: Incident, pageable: tuple[str, ...]) -> list[tuple[PageEvent, str]]:
    """The paging buttons the card offers now: acknowledge (until acknowledged) and resolve
    for each page PagerDuty has not resolved, then a page for each service not paged yet;
    none once the incident is resolved."""
    if incident.status == "resolved":
        return []
    paged = paged_services(incident)
    states = pagerduty_states(incident)
    controls: list[tuple[PageEvent, str]] = []
    for service in paged:
        state = states.get(service, ("triggered", None))[0]
        if service not in pageable or state == "resolved":
            continue
        if state != "acknowledged":
            controls.append(("acknowledge", service))
        controls.append(("resolve", service))
    controls += [("trigger", s) for s in pageable if s not in paged]
    return controls[:MAX_CONTROLS]


def page_command(event: PageEvent, service: str) -> str:
    """The incident command a paging button stands for."""
    return _COMMANDS[event].format(service=service)


@dataclass(frozen=True, slots=True)
class PageClick:
    """A click on a paging button of a summary card."""

    team_id: str
    channel_id: str
    message_ts: str
    user_id: str
    incident_id: str
    event: PageEvent
    service: str


class PageButtons:
    """Checks a paging click against the incident it names."""

    def __init__(self, store: IncidentStore, *, pageable: tuple[str, ...]) -> None:
        self._store = store
        self._pageable = pageable

    async def command(self, click: PageClick) -> tuple[Incident, str] | str:
        """The incident and the command the click stands for, or why not (shown to the
        clicker only)."""
        incident = await own_card(self._store, click)
        if incident is None or not click.user_id:
            return NOT_A_CARD
        if incident.status == "resolved":
            return f"*{incident.title}* is resolved already: page from PagerDuty if need be."
        if (click.event, click.service) not in page_controls(incident, self._pageable):
            return "That paging button is out of date: look at the card again."
        return incident, f"incident: {page_command(click.event, click.service)}"
