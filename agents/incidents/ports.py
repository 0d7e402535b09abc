"""The ports the incident agent works through: incident storage, the Slack workspace, and
the incident's own Slack surfaces (its card, private notes, the messages pinned in it)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from agents.incidents.records import FollowUp, Incident, RoleChange, TimelineEntry
from agents.kernel.errors import SwitchboardError, UserFacingError
from agents.kernel.models import Inbound, Reply

__all__ = [
    "ChannelNameTaken",
    "IncidentBoard",
    "IncidentStore",
    "IssueTracker",
    "SlackMessage",
    "Ticket",
    "TicketFailure",
    "TicketRequests",
    "Workspace",
]


class ChannelNameTaken(UserFacingError):
    """A channel with that name exists already (the caller may try another name)."""

    def __init__(self, name: str) -> None:
        super().__init__(f"A channel named #{name} exists already.")
        self.name = name


class TicketFailure(SwitchboardError):
    """The issue tracker refused or failed (a ``SwitchboardError`` branch of its own).

    Attributes:
        maybe_created: the request may have reached the tracker (a timeout after sending):
            the ticket may exist, and only its marker can tell.
    """

    def __init__(self, detail: str, *, maybe_created: bool = False) -> None:
        super().__init__(detail)
        self.maybe_created = maybe_created


class IncidentStore(Protocol):
    """Durable incidents and their timelines."""

    async def get(self, incident_id: str) -> Incident | None:
        """The incident with this id (with its timeline and follow-ups), if any."""
        ...

    async def create(self, incident: Incident) -> None:
        """Store a new incident with its first timeline entries."""
        ...

    async def by_channel(self, *, team_id: str, channel_id: str) -> Incident | None:
        """The incident whose dedicated channel this is (with its timeline, oldest first)."""
        ...

    async def add_entry(self, incident_id: str, entry: TimelineEntry) -> Incident:
        """Append a timeline entry, and set the status it sets (``entry.sets_status``,
        stamping ``resolved_at`` from the entry's time on ``resolved``); returns the incident
        as stored afterwards.

        Raises:
            StorageError: no incident has this id.
        """
        ...

    async def open_incidents(self, *, team_id: str | None = None) -> Sequence[Incident]:
        """Incidents not yet resolved (in ``team_id``; every team's when None), newest first
        (without timelines)."""
        ...

    async def set_role(self, change: RoleChange) -> Incident | None:
        """Give the role to ``change.user_id`` if ``change.holder`` still holds it
        (compare-and-set) and append ``change.entry``, at once; the incident after, or None
        if the role changed hands.

        Raises:
            StorageError: no incident has this id.
        """
        ...

    async def set_card(self, incident_id: str, card_ts: str) -> None:
        """Remember the summary card's message ts."""
        ...

    async def add_once(self, incident_id: str, entry: TimelineEntry) -> bool:
        """Append an entry unless one with its ``source_ts`` is there already (a pinned
        message delivered twice, a pin after a 📌, a PagerDuty event redelivered); True if
        it was appended."""
        ...

    async def mark_reminded(
        self, incident_id: str, *, previous: datetime | None, at: datetime
    ) -> bool:
        """Compare-and-set ``reminded_at`` from ``previous`` to ``at`` on an open incident;
        True if this call set it (so one reminder goes out however many sweep)."""
        ...

    async def add_followup(self, followup: FollowUp) -> None:
        """Store a follow-up."""
        ...

    async def set_issue(self, followup_id: str, *, number: int, url: str) -> bool:
        """Record a follow-up's ticket unless one is recorded; True if this call did."""
        ...


class Workspace(Protocol):
    """The Slack workspace operations an agent may perform beyond answering in its thread."""

    async def create_channel(self, name: str) -> str:
        """Create a public channel named ``name`` (lower case, no ``#``) and join it.

        Returns:
            The new channel's id.

        Raises:
            UserFacingError: the name is taken or invalid (the message says which).
            SlackApiFailure: Slack refused for another reason.
        """
        ...

    async def invite(self, channel_id: str, user_ids: Sequence[str]) -> None:
        """Invite people to a channel; people already in it are not an error."""
        ...

    async def post(self, channel_id: str, reply: Reply) -> str:
        """Post a reply at the top level of a channel; returns the message ``ts``."""
        ...


@dataclass(frozen=True, slots=True)
class SlackMessage:
    """A message as the incident timeline keeps it: who wrote it, when (its ts) and what."""

    ts: str
    user_id: str
    text: str


class IncidentBoard(Protocol):
    """The incident's own Slack surfaces: its summary card, notes shown to one person, and
    the messages people pin in its channel."""

    async def show(self, incident: Incident) -> str:
        """Post the summary card (roles and their buttons) in the incident channel; its ts."""
        ...

    async def refresh(self, incident: Incident) -> None:
        """Redraw the summary card (``incident.card_ts``) from the incident as it is now."""
        ...

    async def tell(self, channel_id: str, user_id: str, reply: Reply) -> None:
        """Show ``reply`` to ``user_id`` only (ephemeral in the channel)."""
        ...

    async def thread(self, incident: Incident, text: str, *, link: str | None = None) -> None:
        """Post ``text`` (plain words, shown as written) and ``link`` in the summary card's
        thread (at the top of the incident channel when it has no card)."""
        ...

    async def message(self, channel_id: str, ts: str) -> SlackMessage | None:
        """The message ``ts`` of a channel (None if it is gone or cannot be read)."""
        ...

    async def permalink(self, channel_id: str, ts: str) -> str | None:
        """A link to the message (None if Slack gives none)."""
        ...


@dataclass(frozen=True, slots=True)
class Ticket:
    """An issue in the tracker."""

    number: int
    url: str


class IssueTracker(Protocol):
    """Where follow-ups become tickets (GitHub Issues through its REST API)."""

    async def find(self, marker: str) -> Ticket | None:
        """A ticket whose body carries ``marker`` (one filed by an earlier, interrupted run).

        Raises:
            TicketFailure: the tracker could not be asked.
        """
        ...

    async def create(self, *, title: str, body: str) -> Ticket:
        """File a ticket.

        Raises:
            TicketFailure: it was refused, or failed (``maybe_created`` when it may exist).
        """
        ...


class TicketRequests(Protocol):
    """Asks for approval to file an incident's follow-ups as tickets."""

    async def propose(self, inbound: Inbound, incident: Incident) -> Reply | None:
        """The approval card for the follow-ups without a ticket (None: nothing to file)."""
        ...
