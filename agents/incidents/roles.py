"""Incident roles (lead, comms): taking one, handing one to someone, and telling the holder
what the role asks of them.

Who may: anyone in the incident's workspace. A click counts only on the incident's own
summary card (its channel, its message ts and its incident id must all match what is
stored) and only while the incident is open; a click from another workspace finds no
incident. Whoever gets a role is invited into the incident channel (taking the lead from
outside it is how an incident commander usually arrives), told privately what the role
does, and the card is redrawn to show the holders.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from agents.incidents.ports import IncidentBoard, IncidentStore, Workspace
from agents.incidents.records import Incident, Role, RoleChange, TimelineEntry
from agents.kernel.clock import Clock
from agents.kernel.models import Reply

__all__ = [
    "NOT_A_CARD",
    "ROLE_DUTIES",
    "ROLE_NAMES",
    "CardClick",
    "RoleClick",
    "Roles",
    "own_card",
]

ROLE_NAMES: dict[Role, str] = {"lead": "incident lead", "comms": "comms lead"}
ROLE_DUTIES: dict[Role, str] = {
    "lead": (
        "You coordinate the response: decide who investigates what, make the calls "
        "(roll back, escalate, page more people), keep the status current with "
        "`incident: status <state>`, and resolve the incident when it is over. "
        "Delegate the hands-on work; your job is the whole picture."
    ),
    "comms": (
        "You keep everyone outside this channel informed: post regular updates to "
        "stakeholders and the status page, answer questions so the responders are not "
        "interrupted, and note what was said and when with `incident: note <text>`."
    ),
}
NOT_A_CARD = "That button is not on an incident's summary card any more."


@dataclass(frozen=True, slots=True)
class RoleClick:
    """A click on a role control of a summary card.

    Attributes:
        user_id: who clicked.
        assignee: who gets the role (the clicker for "I'll lead", the person chosen in
            "Hand to…").
        incident_id: the incident id the card carried in the control's value.
        message_ts: the clicked message.
    """

    team_id: str
    channel_id: str
    message_ts: str
    user_id: str
    incident_id: str
    role: Role
    assignee: str


class CardClick(Protocol):
    """Where a control on a summary card was clicked, and the incident it names."""

    @property
    def team_id(self) -> str: ...
    @property
    def channel_id(self) -> str: ...
    @property
    def message_ts(self) -> str: ...
    @property
    def incident_id(self) -> str: ...


async def own_card(store: IncidentStore, click: CardClick) -> Incident | None:
    """The incident whose own summary card a control was clicked on: the click's workspace
    has an incident in that channel, its stored card is the message clicked, and it is the
    incident the control names (None: a control replayed elsewhere, or forged)."""
    if not (click.team_id and click.channel_id and click.message_ts and click.incident_id):
        return None
    incident = await store.by_channel(team_id=click.team_id, channel_id=click.channel_id)
    if incident is None or incident.incident_id != click.incident_id:
        return None
    return incident if incident.card_ts and incident.card_ts == click.message_ts else None


class Roles:
    """Assigns roles through the store, the workspace (invite) and the board (card, note)."""

    def __init__(
        self, store: IncidentStore, *, workspace: Workspace, board: IncidentBoard, clock: Clock
    ) -> None:
        self._store = store
        self._workspace = workspace
        self._board = board
        self._clock = clock

    async def assign(self, click: RoleClick) -> str | None:
        """Give the role; None when given, else why not (shown to the clicker only)."""
        if not (click.user_id and click.assignee and click.team_id and click.channel_id):
            return NOT_A_CARD
        incident = await own_card(self._store, click)
        if incident is None:
            return NOT_A_CARD
        if incident.status == "resolved":
            return f"*{incident.title}* is resolved already: its roles are settled."
        name = ROLE_NAMES[click.role]
        holder = incident.holder(click.role)
        if holder == click.assignee:
            return f"<@{click.assignee}> is the {name} already."
        by = "" if click.assignee == click.user_id else f" (handed over by <@{click.user_id}>)"
        entry = TimelineEntry(
            self._clock.now(), click.user_id, "role", f"<@{click.assignee}> is {name}{by}"
        )
        updated = await self._store.set_role(
            RoleChange(incident.incident_id, click.role, click.assignee, entry, holder=holder)
        )
        if updated is None:
            now = await self._store.get(incident.incident_id)
            if now is not None and now.holder(click.role) == click.assignee:
                return f"<@{click.assignee}> is the {name} already."
            return f"The {name} changed hands just now: look at the card again."
        await self._workspace.invite(incident.channel_id, [click.assignee])
        await self._board.refresh(updated)
        duties = Reply(
            text=ROLE_DUTIES[click.role],
            title=f"You are the {name} of {incident.title}",
        )
        await self._board.tell(incident.channel_id, click.assignee, duties)
        return None
