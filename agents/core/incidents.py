"""Incidents as the domain knows them, and the ports the incident agent works through."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

from agents.core.errors import UserFacingError
from agents.core.models import Reply

__all__ = [
    "ChannelNameTaken",
    "Incident",
    "IncidentStatus",
    "IncidentStore",
    "TimelineEntry",
    "TimelineKind",
    "Workspace",
]

IncidentStatus = Literal["investigating", "identified", "monitoring", "resolved"]
TimelineKind = Literal["declared", "status", "note", "resolved"]


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """One line of an incident's timeline.

    Attributes:
        kind: ``declared``, ``status`` (a status change), ``note`` or ``resolved``.
    """

    at: datetime
    user_id: str
    kind: TimelineKind
    text: str


@dataclass(frozen=True, slots=True)
class Incident:
    """A declared incident and its dedicated channel.

    Attributes:
        channel_id: the ``#inc-<date>-<slug>`` channel created for it.
        origin_channel_id: where it was declared.
    """

    incident_id: str
    team_id: str
    channel_id: str
    channel_name: str
    origin_channel_id: str
    title: str
    severity: str
    status: IncidentStatus
    reporter: str
    declared_at: datetime
    resolved_at: datetime | None = None
    timeline: tuple[TimelineEntry, ...] = ()


class ChannelNameTaken(UserFacingError):
    """A channel with that name exists already (the caller may try another name)."""

    def __init__(self, name: str) -> None:
        super().__init__(f"A channel named #{name} exists already.")
        self.name = name


class IncidentStore(Protocol):
    """Durable incidents and their timelines."""

    async def create(self, incident: Incident) -> None:
        """Store a new incident with its first timeline entries."""
        ...

    async def by_channel(self, *, team_id: str, channel_id: str) -> Incident | None:
        """The incident whose dedicated channel this is (with its timeline, oldest first)."""
        ...

    async def add_entry(
        self,
        incident_id: str,
        entry: TimelineEntry,
        *,
        status: IncidentStatus | None = None,
    ) -> Incident:
        """Append a timeline entry (and set the status when given, stamping ``resolved_at``
        from the entry's time on ``resolved``); returns the incident as stored afterwards.

        Raises:
            StorageError: no incident has this id.
        """
        ...

    async def open_incidents(self, *, team_id: str) -> Sequence[Incident]:
        """Incidents not yet resolved, newest first (without timelines)."""
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
