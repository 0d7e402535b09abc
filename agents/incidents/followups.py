"""Follow-ups become tickets: on resolve, the open follow-ups are proposed as GitHub issues
in one approval request (the card lists every one); once approved, a durable job files each
that has no ticket yet.

One approval for the batch: the resolver asks once, an approver sees the whole list and
approves it or not; the run files exactly the follow-ups listed on the approved card.
Created once each: a follow-up's ticket number is stored as soon as it exists, and every
ticket's body carries the follow-up's marker, so a run interrupted between "created" and
"stored" finds the ticket by its marker instead of filing it again. That makes the action
idempotent, so a crashed run is retried, never left ``unknown``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

import structlog

from agents.incidents.ports import IncidentStore, IssueTracker, Ticket, TicketFailure
from agents.incidents.records import FollowUp, Incident
from agents.incidents.summary import when

__all__ = ["TICKET_ACTION", "Filing", "FollowUpTickets", "listing", "marker", "marker_in"]

log = structlog.get_logger(__name__)

TICKET_ACTION = "incident_tickets"
_TITLE_LIMIT = 200
_LISTED = re.compile(r"(fu-[A-Za-z0-9_-]+): ")


Outcome = Literal["succeeded", "failed", "unknown"]


@dataclass(frozen=True, slots=True)
class Filing:
    """How a run of the ticket action ended (the wiring turns it into the executor's
    result): ``unknown`` when a ticket may have been created without our knowing."""

    outcome: Outcome
    summary: str
    filed: tuple[str, ...] = field(default=())


_MARKER = re.compile(r"<!-- (switchboard-followup:\S+) -->")


def marker(followup_id: str) -> str:
    """What a ticket's body carries to be found again."""
    return f"switchboard-followup:{followup_id}"


def marker_in(body: str) -> str | None:
    """The marker a ticket body carries (None: none), for trackers that keep it elsewhere
    too (a Jira label)."""
    found = _MARKER.search(body)
    return found.group(1) if found else None


def listing(followups: tuple[FollowUp, ...]) -> str:
    """The follow-ups as the card's ``followups`` value: ``<id>: <text>; …``."""
    return "; ".join(f"{f.followup_id}: {' '.join(f.text.split())}" for f in followups)


def _body(incident: Incident, followup: FollowUp) -> str:
    return (
        f"{followup.text}\n\n"
        f"Follow-up from incident **{incident.title}** ({incident.severity}), declared "
        f"{when(incident.declared_at)}; captured in Slack by user `{followup.user_id}`.\n\n"
        f"<!-- {marker(followup.followup_id)} -->"
    )


class FollowUpTickets:
    """The ``incident_tickets`` action's executor: files each listed follow-up once."""

    def __init__(self, store: IncidentStore, tracker: IssueTracker, *, repo: str) -> None:
        self._store = store
        self._tracker = tracker
        self._repo = repo

    async def file(self, incident_id: str, listed: str) -> Filing:
        """File the follow-ups named in ``listed`` (the approved card's list) that have no
        ticket yet; never raises for a tracker failure."""
        incident = await self._store.get(incident_id)
        if incident is None:
            return Filing("failed", "no such incident")
        wanted = set(_LISTED.findall(listed))
        filed: list[str] = []
        for followup in incident.followups:
            if followup.followup_id not in wanted or followup.issue_number is not None:
                continue
            try:
                ticket = await self._file(incident, followup)
            except TicketFailure as exc:
                log.warning("followup_ticket_failed", followup_id=followup.followup_id)
                done = f"; filed {', '.join(filed)} first" if filed else ""
                outcome: Outcome = "unknown" if exc.maybe_created and not filed else "failed"
                return Filing(outcome, f"{self._repo}: {exc}{done}", tuple(filed))
            await self._store.set_issue(followup.followup_id, number=ticket.number, url=ticket.url)
            filed.append(f"#{ticket.number}")
        if not filed:
            return Filing("succeeded", f"{self._repo}: every follow-up had its ticket")
        return Filing("succeeded", f"filed {', '.join(filed)} in {self._repo}", tuple(filed))

    async def _file(self, incident: Incident, followup: FollowUp) -> Ticket:
        found = await self._tracker.find(marker(followup.followup_id))
        if found is not None:
            log.info("followup_ticket_found", followup_id=followup.followup_id)
            return found
        title = " ".join(followup.text.split())[:_TITLE_LIMIT]
        return await self._tracker.create(title=title, body=_body(incident, followup))
