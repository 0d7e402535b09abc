"""The ports the incident agent works through: incident storage and the Slack workspace."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from agents.incidents.records import Incident, TimelineEntry
from agents.kernel.errors import UserFacingError
from agents.kernel.models import Reply

__all__ = ["ChannelNameTaken", "IncidentStore", "Workspace"]


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

    async def add_entry(self, incident_id: str, entry: TimelineEntry) -> Incident:
        """Append a timeline entry, and set the status it sets (``entry.sets_status``,
        stamping ``resolved_at`` from the entry's time on ``resolved``); returns the incident
        as stored afterwards.

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
