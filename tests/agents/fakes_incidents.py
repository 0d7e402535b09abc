"""In-memory ``IncidentStore``, and a ``Workspace`` and ``IncidentBoard`` that record what
agents did."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from agents.incidents.ports import ChannelNameTaken, SlackMessage
from agents.incidents.records import FollowUp, Incident, RoleChange, TimelineEntry
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

    async def get(self, incident_id: str) -> Incident | None:
        return self.rows.get(incident_id)

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

    async def open_incidents(self, *, team_id: str | None = None) -> Sequence[Incident]:
        found = [
            replace(i, timeline=(), followups=())
            for i in self.rows.values()
            if team_id in (None, i.team_id) and i.status != "resolved"
        ]
        return sorted(found, key=lambda i: i.declared_at, reverse=True)

    async def set_role(self, change: RoleChange) -> Incident | None:
        incident_id = change.incident_id
        if self.rows[incident_id].holder(change.role) != change.holder:
            return None
        await self.add_entry(incident_id, change.entry)
        self.rows[incident_id] = replace(self.rows[incident_id], **{change.role: change.user_id})
        return self.rows[incident_id]

    async def set_card(self, incident_id: str, card_ts: str) -> None:
        self.rows[incident_id] = replace(self.rows[incident_id], card_ts=card_ts)

    async def add_once(self, incident_id: str, entry: TimelineEntry) -> bool:
        if any(e.source_ts == entry.source_ts for e in self.rows[incident_id].timeline):
            return False
        await self.add_entry(incident_id, entry)
        return True

    async def mark_reminded(
        self, incident_id: str, *, previous: datetime | None, at: datetime
    ) -> bool:
        found = self.rows[incident_id]
        if found.reminded_at != previous or found.status == "resolved":
            return False
        self.rows[incident_id] = replace(found, reminded_at=at)
        return True

    async def add_followup(self, followup: FollowUp) -> None:
        found = self.rows[followup.incident_id]
        self.rows[found.incident_id] = replace(found, followups=(*found.followups, followup))

    async def set_issue(self, followup_id: str, *, number: int, url: str) -> bool:
        for incident in self.rows.values():
            for index, followup in enumerate(incident.followups):
                if followup.followup_id == followup_id and followup.issue_number is None:
                    changed = replace(followup, issue_number=number, issue_url=url)
                    followups = list(incident.followups)
                    followups[index] = changed
                    self.rows[incident.incident_id] = replace(incident, followups=tuple(followups))
                    return True
        return False


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


class RecordingBoard:
    """``IncidentBoard`` that records cards, redraws and private notes; ``messages`` are
    what :meth:`message` finds (by ts)."""

    def __init__(self) -> None:
        self.cards: list[Incident] = []
        self.refreshed: list[Incident] = []
        self.told: list[tuple[str, str, Reply]] = []
        self.threads: list[tuple[str, str]] = []
        self.messages: dict[str, SlackMessage] = {}

    async def show(self, incident: Incident) -> str:
        self.cards.append(incident)
        return f"{len(self.cards)}.000900"

    async def refresh(self, incident: Incident) -> None:
        self.refreshed.append(incident)

    async def tell(self, channel_id: str, user_id: str, reply: Reply) -> None:
        self.told.append((channel_id, user_id, reply))

    async def thread(self, incident: Incident, text: str, *, link: str | None = None) -> None:
        self.threads.append((incident.incident_id, text))

    async def message(self, channel_id: str, ts: str) -> SlackMessage | None:
        return self.messages.get(ts)

    async def permalink(self, channel_id: str, ts: str) -> str | None:
        return f"https://example.slack.com/archives/{channel_id}/p{ts.replace('.', '')}"
