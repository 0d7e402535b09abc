"""In-memory ``IncidentStore`` and a ``Workspace`` that records what agents did."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from agents.incidents.ports import ChannelNameTaken
from agents.incidents.records import Incident, TimelineEntry
from agents.kernel.errors import StorageError
from agents.kernel.models import Reply


class MemoryIncidents:
    """``IncidentStore`` in a dict."""

    def __init__(self) -> None:
        self.rows: dict[str, Incident] = {}

    async def create(self, incident: Incident) -> None:
        if any(
            i.team_id == incident.team_id and i.channel_id == incident.channel_id
            for i in self.rows.values()
        ):
            raise StorageError("one incident per channel")
        self.rows[incident.incident_id] = incident

    async def by_channel(self, *, team_id: str, channel_id: str) -> Incident | None:
        return next(
            (i for i in self.rows.values() if (i.team_id, i.channel_id) == (team_id, channel_id)),
            None,
        )

    async def add_entry(self, incident_id: str, entry: TimelineEntry) -> Incident:
        found = self.rows.get(incident_id)
        if found is None:
            raise StorageError(f"no incident {incident_id!r}")
        changed = replace(found, timeline=(*found.timeline, entry))
        status = entry.sets_status
        if status is not None:
            changed = replace(
                changed,
                status=status,
                resolved_at=entry.at if status == "resolved" else changed.resolved_at,
            )
        self.rows[incident_id] = changed
        return changed

    async def open_incidents(self, *, team_id: str) -> Sequence[Incident]:
        found = [
            replace(i, timeline=())
            for i in self.rows.values()
            if i.team_id == team_id and i.status != "resolved"
        ]
        return sorted(found, key=lambda i: i.declared_at, reverse=True)


class RecordingWorkspace:
    """``Workspace`` that records channels, invites and posts; ``taken`` names are refused."""

    def __init__(self, *, taken: Sequence[str] = ()) -> None:
        self.taken = set(taken)
        self.created: list[tuple[str, str]] = []
        self.invites: list[tuple[str, tuple[str, ...]]] = []
        self.posts: list[tuple[str, Reply]] = []

    async def create_channel(self, name: str) -> str:
        if name in self.taken:
            raise ChannelNameTaken(name)
        self.taken.add(name)
        channel_id = f"CNEW{len(self.created) + 1}"
        self.created.append((name, channel_id))
        return channel_id

    async def invite(self, channel_id: str, user_ids: Sequence[str]) -> None:
        self.invites.append((channel_id, tuple(user_ids)))

    async def post(self, channel_id: str, reply: Reply) -> str:
        self.posts.append((channel_id, reply))
        return f"{len(self.posts)}.000100"
