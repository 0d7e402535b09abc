"""What PagerDuty tells us about an incident we paged (its V3 webhooks), put on the Slack
incident: a timeline entry, a message in the summary card's thread, the card redrawn.

The link is the dedup key: every page of an incident carries
``switchboard-<incident id>-<service>`` (:func:`~agents.incidents.paging.dedup_key`), which
PagerDuty reports as the incident's ``incident_key``. News about an incident whose key is
not one of ours, or whose incident never paged that service, is ignored.

Once per event: the entry's ``source_ts`` is ``pagerduty:<event id>`` (for a trigger,
``pagerduty:<dedup key>#<PagerDuty incident number>``, which the run's own report shares) and
the store keeps one entry per ``source_ts`` (the same unique key that keeps a pinned message
once), so a redelivery, a retry, or two replicas receiving the same event add one entry and
post one message. PagerDuty resolving its incident does not resolve the Slack incident: the Slack
incident is the team's record (its status, postmortem and follow-ups), and when every alert
it paged is resolved the message says so and offers ``incident: resolve``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import structlog

from agents.incidents.paging import paged_services
from agents.incidents.ports import IncidentBoard, IncidentStore
from agents.incidents.records import PAGERDUTY_AUTHOR, Incident, TimelineEntry
from agents.kernel.errors import SlackApiFailure

__all__ = [
    "HANDLED_EVENTS",
    "NEWS_SOURCE",
    "PAGERDUTY_AUTHOR",
    "NewsOutcome",
    "PagerDutyNews",
    "PagerDutyState",
    "PagerDutyUpdates",
    "linked_incident",
    "pagerduty_states",
]

log = structlog.get_logger(__name__)

NEWS_SOURCE = "pagerduty:"
"""The ``source_ts`` prefix of those entries; the event id follows."""
NewsOutcome = Literal["applied", "duplicate", "unknown_incident", "not_ours"]

_KEY = re.compile(r"^switchboard-(?P<incident>inc-[A-Za-z0-9]+)-(?P<service>[a-z0-9][a-z0-9_-]*)$")
_NOTE = re.compile(r"^PagerDuty: (?P<service>\S+) (?P<status>triggered|acknowledged|resolved)\b")
_VERBS = {
    "incident.triggered": "triggered",
    "incident.acknowledged": "acknowledged",
    "incident.unacknowledged": "triggered",
    "incident.reopened": "triggered",
    "incident.resolved": "resolved",
    "incident.reassigned": "reassigned",
    "incident.escalated": "escalated",
    "incident.delegated": "delegated",
}
HANDLED_EVENTS = frozenset(_VERBS)
"""The event types put on an incident (others are acknowledged and ignored)."""


@dataclass(frozen=True, slots=True)
class PagerDutyNews:
    """One PagerDuty V3 webhook event about an incident, as the domain needs it.

    Attributes:
        event_id: the event's id (the same on every delivery of it).
        event_type: ``incident.acknowledged``, ``incident.resolved``, …
        incident_key: the PagerDuty incident's dedup key (links it to ours).
        agent: who or what did it (a person's name, or the integration's), if said.
        assignees: who the PagerDuty incident is assigned to now, by name.
    """

    event_id: str
    event_type: str
    occurred_at: datetime
    incident_key: str
    number: int | None = None
    html_url: str | None = None
    agent: str | None = None
    assignees: tuple[str, ...] = ()


PagerDutyState = Literal["triggered", "acknowledged", "resolved"]
_STATES: dict[str, PagerDutyState] = {
    "triggered": "triggered",
    "acknowledged": "acknowledged",
    "resolved": "resolved",
}


def linked_incident(incident_key: str) -> tuple[str, str] | None:
    """``(incident id, service)`` a dedup key of ours names, or None."""
    found = _KEY.match(incident_key)
    return None if found is None else (found.group("incident"), found.group("service"))


def pagerduty_states(incident: Incident) -> dict[str, tuple[PagerDutyState, str | None]]:
    """Service → the last status PagerDuty reported for its page, and the link to its
    PagerDuty incident (from the timeline's PagerDuty entries)."""
    states: dict[str, tuple[PagerDutyState, str | None]] = {}
    for entry in sorted(incident.timeline, key=lambda e: e.at):
        matched = _NOTE.match(entry.text) if entry.user_id == PAGERDUTY_AUTHOR else None
        if matched is not None:
            states[matched.group("service")] = (_STATES[matched.group("status")], entry.link)
    return states


def _source(news: PagerDutyNews) -> str:
    """The entry's unique key: the event id; for a trigger of a known PagerDuty incident,
    that incident (so the run's report and PagerDuty's webhook, arriving at once, make one
    entry)."""
    if news.event_type == "incident.triggered" and news.number is not None:
        return f"{NEWS_SOURCE}{news.incident_key}#{news.number}"
    return f"{NEWS_SOURCE}{news.event_id}"


def _known_trigger(incident: Incident, service: str, news: PagerDutyNews) -> bool:
    """A trigger the incident knows of already: the run's own report and PagerDuty's
    ``incident.triggered`` webhook say the same (the one with a link counts)."""
    if news.event_type != "incident.triggered":
        return False
    state, link = pagerduty_states(incident).get(service, (None, None))
    return state == "triggered" and (link is not None or news.html_url is None)


def _plain(name: str) -> str:
    """A name PagerDuty sent, without the characters Slack markup is made of."""
    return name.replace("<", "").replace(">", "").replace("&", "and")


def _sentence(news: PagerDutyNews, service: str) -> str:
    """The timeline's words for the event (the card reads the status back from them)."""
    verb = _VERBS[news.event_type]
    number = f" (incident #{news.number})" if news.number is not None else ""
    who = f" by {_plain(news.agent)}" if news.agent else ""
    text = f"PagerDuty: {service} {verb}{who}{number}"
    if verb in ("reassigned", "escalated", "delegated") and news.assignees:
        text += f", now assigned to {', '.join(map(_plain, news.assignees))}"
    return text[:1000]


class PagerDutyUpdates:
    """Applies PagerDuty's news to the Slack incident it is about."""

    def __init__(self, store: IncidentStore, *, board: IncidentBoard) -> None:
        self._store = store
        self._board = board

    async def receive(self, news: PagerDutyNews) -> NewsOutcome:
        """Put ``news`` on its incident once: timeline, a message in the card's thread, the
        card redrawn. What came of it (``not_ours``: an event type not handled)."""
        linked = linked_incident(news.incident_key)
        if news.event_type not in _VERBS:
            return self._logged("not_ours", news)
        incident = None if linked is None else await self._store.get(linked[0])
        if linked is None or incident is None:
            return self._logged("unknown_incident", news)
        service = linked[1]
        if paged_services(incident).get(service) != news.incident_key:
            return self._logged("unknown_incident", news)
        if _known_trigger(incident, service, news):
            return self._logged("duplicate", news)
        entry = TimelineEntry(
            news.occurred_at,
            PAGERDUTY_AUTHOR,
            "note",
            _sentence(news, service),
            source_ts=_source(news),
            link=news.html_url,
        )
        if not await self._store.add_once(incident.incident_id, entry):
            return self._logged("duplicate", news)
        updated = await self._store.get(incident.incident_id) or incident
        try:
            await self._board.thread(updated, self._message(updated, entry), link=entry.link)
            await self._board.refresh(updated)
        except SlackApiFailure as exc:
            # On the timeline already (a redelivery would be a duplicate): the card shows it
            # when it is next redrawn.
            log.warning("pagerduty_news_not_shown", error=exc.error, event_id=news.event_id)
        return self._logged("applied", news, incident_id=incident.incident_id)

    @staticmethod
    def _message(incident: Incident, entry: TimelineEntry) -> str:
        text = entry.text
        states = pagerduty_states(incident)
        paged = paged_services(incident)
        done = all(states.get(s, ("triggered", None))[0] == "resolved" for s in paged)
        if incident.status != "resolved" and done:
            text += (
                "\nEvery PagerDuty alert this incident paged is resolved. If it is over here "
                "too: `incident: resolve [summary]`."
            )
        return text

    @staticmethod
    def _logged(outcome: NewsOutcome, news: PagerDutyNews, **more: str) -> NewsOutcome:
        log.info(
            "pagerduty_webhook",
            outcome=outcome,
            event_id=news.event_id,
            event_type=news.event_type,
            **more,
        )
        return outcome
