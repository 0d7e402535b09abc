"""The ``incident`` agent: declare, update, annotate and resolve incidents.

``declare [sevN] <title>`` creates ``#<prefix>-<YYYYMMDD>-<slug>``, invites the reporter and
the on-call person, posts a summary card there and records the incident. In the incident's
channel, ``status <state>``, ``note <text>`` and ``resolve [summary]`` add to its timeline;
resolving answers with a postmortem draft built from the timeline.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import get_args

from agents.incidents.paging import IncidentPaging, split_service
from agents.incidents.ports import ChannelNameTaken, IncidentStore, Workspace
from agents.incidents.records import Incident, IncidentStatus, TimelineEntry
from agents.incidents.rotation import IncidentSettings, Rotation
from agents.kernel.clock import Clock
from agents.kernel.models import AgentInfo, Reply, ReplyItem
from agents.turns.agent import TurnContext

__all__ = ["IncidentAgent", "IncidentDeps", "channel_name", "postmortem_draft"]

_STATUSES: tuple[IncidentStatus, ...] = get_args(IncidentStatus)
_DECLARE = re.compile(
    r"^\s*(?:declare|start|open)(?:\s+(?:an?\s+)?incident)?\s*:?\s*(?P<rest>.*)$",
    re.IGNORECASE | re.DOTALL,
)
_SEVERITY = re.compile(r"^(sev\d)\b\s*:?\s*", re.IGNORECASE)
_COMMAND = re.compile(
    r"^\s*(?P<verb>status|note|update|resolve)\b\s*:?\s*(?P<rest>.*)$", re.IGNORECASE | re.DOTALL
)
_NAME_TRIES = 5
_USAGE = (
    "Incident commands: `incident: declare [sev1|sev2|sev3] <title>`; then, in the incident "
    "channel, `incident: status <investigating|identified|monitoring|resolved>`, "
    "`incident: note <text>` and `incident: resolve [summary]`."
)


@dataclass(frozen=True, slots=True)
class IncidentDeps:
    """What the incident agent works with.

    Attributes:
        workspace: Slack operations beyond the turn's reply (create the channel, invite).
        incidents: where incidents and their timelines are stored.
        rotations: the on-call rotations (the configured one is paged into the channel).
        settings: how incidents are declared.
        paging: PagerDuty paging (None: not configured).
    """

    clock: Clock
    workspace: Workspace | None = None
    incidents: IncidentStore | None = None
    rotations: tuple[Rotation, ...] = ()
    settings: IncidentSettings = field(default_factory=IncidentSettings)
    paging: IncidentPaging | None = None


def channel_name(prefix: str, title: str, *, day: str, suffix: int = 1) -> str:
    """``<prefix>-<YYYYMMDD>-<slug>`` (Slack's rules: lower case, ``[a-z0-9_-]``, ≤ 80)."""
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:40].strip("-") or "incident"
    name = f"{prefix}-{day}-{slug}"
    if suffix > 1:
        name = f"{name}-{suffix}"
    return name[:80]


def postmortem_draft(incident: Incident) -> str:
    """A postmortem skeleton: summary, impact, the timeline in UTC, root cause, actions."""
    lines = [
        f"*Postmortem draft: {incident.title}* ({incident.severity})",
        "",
        "*Summary*",
        f"Declared by <@{incident.reporter}> at {_when(incident.declared_at)}"
        + (f", resolved at {_when(incident.resolved_at)}." if incident.resolved_at else "."),
        "",
        "*Impact*",
        "_Who was affected, how, and for how long (to be filled in)._",
        "",
        "*Timeline (UTC)*",
    ]
    lines += [
        f"• {entry.at.astimezone(UTC):%H:%M} {entry.kind} <@{entry.user_id}>: {entry.text}"
        for entry in incident.timeline
    ]
    lines += [
        "",
        "*Root cause*",
        "_To be filled in._",
        "",
        "*Action items*",
        "_To be filled in: owner, due date, ticket._",
    ]
    return "\n".join(lines)


def _when(moment: datetime) -> str:
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


class IncidentAgent:
    """Runs the incident lifecycle through the Workspace and IncidentStore ports."""

    info = AgentInfo(
        name="incident",
        description="Declares incidents (with a channel), tracks status and notes, and "
        "drafts the postmortem on resolve.",
        keywords=("incident", "outage", "sev1", "sev2", "declare", "postmortem"),
        examples=("declare sev1 checkout is down", "start an incident for api errors"),
    )

    def __init__(self, deps: IncidentDeps) -> None:
        self._deps = deps
        self._settings = deps.settings

    async def handle(self, turn: TurnContext) -> Reply:
        """Declare, update, note or resolve, depending on the words and the channel."""
        workspace, store = self._deps.workspace, self._deps.incidents
        if workspace is None or store is None:
            return Reply(text="Incidents are not set up in this Switchboard.")
        text = turn.route.text
        declared = _DECLARE.match(text)
        if declared is not None and declared.group("rest").strip():
            return await self._declare(turn, declared.group("rest").strip(), workspace, store)
        command = _COMMAND.match(text)
        inbound = turn.inbound
        incident = await store.by_channel(team_id=inbound.team_id, channel_id=inbound.channel_id)
        paging = self._deps.paging
        paged = paging.command(text) if paging is not None else None
        if paging is not None and paged is not None:
            if incident is None:
                return await self._elsewhere(turn, store)
            return await paging.page(inbound, incident, event=paged[0], service=paged[1])
        if command is None:
            return Reply(text=_USAGE)
        if incident is None:
            return await self._elsewhere(turn, store)
        if incident.status == "resolved":
            return Reply(text=f"*{incident.title}* is resolved already.")
        verb, rest = command.group("verb").lower(), command.group("rest").strip()
        now = self._deps.clock.now()
        if verb == "status":
            status = rest.lower()
            if status not in _STATUSES:
                return Reply(text=f"Status must be one of {', '.join(_STATUSES)}.")
            if status == "resolved":
                return await self._resolve(incident, turn, "", store)
            entry = TimelineEntry(now, inbound.user_id, "status", status)
            await store.add_entry(incident.incident_id, entry)
            return Reply(text=f"Status of *{incident.title}* is now *{status}*.")
        if verb in ("note", "update"):
            if not rest:
                return Reply(text="What should the note say? `incident: note <text>`")
            await store.add_entry(
                incident.incident_id, TimelineEntry(now, inbound.user_id, "note", rest)
            )
            return Reply(text="Added to the timeline.")
        return await self._resolve(incident, turn, rest, store)

    async def _declare(
        self, turn: TurnContext, rest: str, workspace: Workspace, store: IncidentStore
    ) -> Reply:
        settings = self._settings
        rest, service = split_service(rest)
        severity = settings.default_severity
        found = _SEVERITY.match(rest)
        if found is not None and found.group(1).lower() in settings.severities:
            severity, rest = found.group(1).lower(), rest[found.end() :]
        title = rest.strip() or "Untitled incident"
        inbound = turn.inbound
        now = self._deps.clock.now()
        day = f"{now.astimezone(UTC):%Y%m%d}"
        channel_id, name = "", ""
        for suffix in range(1, _NAME_TRIES + 1):
            name = channel_name(settings.channel_prefix, title, day=day, suffix=suffix)
            try:
                channel_id = await workspace.create_channel(name)
                break
            except ChannelNameTaken:
                continue
        if not channel_id:
            return Reply(text=f"I could not find a free channel name for {title!r}.")
        oncall = self._oncall(now)
        await workspace.invite(channel_id, sorted({inbound.user_id, *([oncall] if oncall else [])}))
        incident = Incident(
            incident_id=f"inc-{inbound.trace_id}",
            team_id=inbound.team_id,
            channel_id=channel_id,
            channel_name=name,
            origin_channel_id=inbound.channel_id,
            title=title,
            severity=severity,
            status="investigating",
            reporter=inbound.user_id,
            declared_at=now,
            timeline=(TimelineEntry(now, inbound.user_id, "declared", f"Declared: {title}"),),
        )
        await store.create(incident)
        paging = self._deps.paging if service else None
        line = paging.summary_line(incident, service) if paging and service else None
        await workspace.post(channel_id, _summary(incident, oncall, paging=line))
        who = f" <@{oncall}> (on call) is invited." if oncall else ""
        declared = Reply(text=f"Declared *{title}* ({severity}) in <#{channel_id}>.{who}")
        if paging is None or service is None:
            return declared
        card = await paging.page(turn.inbound, incident, event="trigger", service=service)
        if card.approval_id is None:
            return Reply(text=f"{declared.text}\n{card.text}")
        return replace(card, note=declared.text)

    async def _resolve(
        self, incident: Incident, turn: TurnContext, summary: str, store: IncidentStore
    ) -> Reply:
        entry = TimelineEntry(
            self._deps.clock.now(), turn.inbound.user_id, "resolved", summary or "Resolved"
        )
        resolved = await store.add_entry(incident.incident_id, entry)
        offer = IncidentPaging.resolve_offer(resolved) if self._deps.paging else ""
        return Reply(text=postmortem_draft(resolved) + offer, title=f"Resolved: {incident.title}")

    async def _elsewhere(self, turn: TurnContext, store: IncidentStore) -> Reply:
        open_ones = await store.open_incidents(team_id=turn.inbound.team_id)
        text = "Use that in the incident's own channel."
        if not open_ones:
            return Reply(text=text + " No incident is open.")
        items = tuple(
            ReplyItem(f"<#{i.channel_id}>", f"{i.title} ({i.severity}, {i.status})")
            for i in open_ones
        )
        lines = [f"• {item.label}: {item.detail}" for item in items]
        return Reply(text="\n".join([text + " Open incidents:", *lines]), items=items)

    def _oncall(self, now: datetime) -> str | None:
        wanted = self._settings.oncall_rotation
        rotation = next((r for r in self._deps.rotations if r.name == wanted), None)
        return (rotation.on_call_at(now) or None) if rotation else None


def _summary(incident: Incident, oncall: str | None, *, paging: str | None = None) -> Reply:
    items = (
        ReplyItem("Severity", incident.severity),
        ReplyItem("Status", incident.status),
        ReplyItem("Reporter", f"<@{incident.reporter}>"),
        ReplyItem("On call", f"<@{oncall}>" if oncall else "no rotation configured"),
        *((ReplyItem("PagerDuty", paging),) if paging else ()),
        ReplyItem("Update it", _USAGE),
    )
    return Reply(
        text=f"Incident: {incident.title}", title=f"Incident: {incident.title}", items=items
    )
