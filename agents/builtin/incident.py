"""The ``incident`` agent: declare, update, annotate and resolve incidents.

``declare [sevN] <title>`` creates ``#<prefix>-<YYYYMMDD>-<slug>``, invites the reporter and
the on-call person, posts a summary card there (with its role buttons, see
:mod:`agents.incidents.roles`) and records the incident. In the incident's channel,
``status <state>``, ``note <text>`` and ``resolve [summary]`` add to its timeline,
``follow-up <text>`` captures work for after it, ``catch up`` shows the asker a private
summary; resolving answers with a postmortem draft built from the timeline.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import get_args

import structlog

from agents.incidents.paging import IncidentPaging, split_service
from agents.incidents.ports import (
    ChannelNameTaken,
    IncidentBoard,
    IncidentStore,
    TicketRequests,
    Workspace,
)
from agents.incidents.records import FollowUp, Incident, IncidentStatus, TimelineEntry
from agents.incidents.responders import first_responder, oncall_entry
from agents.incidents.rotation import IncidentSettings, Rotation
from agents.incidents.schedules import OncallDirectory
from agents.incidents.summary import catch_up, postmortem_draft
from agents.kernel.clock import Clock
from agents.kernel.errors import SlackApiFailure
from agents.kernel.models import AgentInfo, Reply, ReplyItem
from agents.turns.agent import TurnContext

__all__ = ["IncidentAgent", "IncidentDeps", "channel_name", "postmortem_draft"]
# postmortem_draft lives in agents.incidents.summary; named here for existing callers.

log = structlog.get_logger(__name__)

_STATUSES: tuple[IncidentStatus, ...] = get_args(IncidentStatus)
_DECLARE = re.compile(
    r"^\s*(?:declare|start|open)(?:\s+(?:an?\s+)?incident)?\s*:?\s*(?P<rest>.*)$",
    re.IGNORECASE | re.DOTALL,
)
_SEVERITY = re.compile(r"^(sev\d)\b\s*:?\s*", re.IGNORECASE)
_COMMAND = re.compile(
    r"^\s*(?P<verb>status|note|update|resolve|postmortem|tickets|catch[\s-]*up|"
    r"follow[\s-]*up|action\s+item)\b"
    r"\s*:?\s*(?P<rest>.*)$",
    re.IGNORECASE | re.DOTALL,
)
_NAME_TRIES = 5
_USAGE = (
    "Incident commands: `incident: declare [sev1|sev2|sev3] <title>`; then, in the incident "
    "channel, `incident: status <investigating|identified|monitoring|resolved>`, "
    "`incident: note <text>`, `incident: follow-up <text>`, `incident: catch up`, "
    "`incident: resolve [summary]` and `incident: postmortem`. 📌 a message to put it on "
    "the timeline."
)


@dataclass(frozen=True, slots=True)
class IncidentDeps:
    """What the incident agent works with.

    Attributes:
        workspace: Slack operations beyond the turn's reply (create the channel, invite).
        incidents: where incidents and their timelines are stored.
        board: the incident's card and private notes.
        tickets: asks for approval to file follow-ups as tickets on resolve (None: not set
            up; follow-ups then only go into the postmortem).
        rotations: the on-call rotations (the configured one is paged into the channel).
        settings: how incidents are declared.
        paging: PagerDuty paging (None: not configured).
        oncall: PagerDuty's on-call by service: who is on call for the service named at
            declaration is invited (None: rotations only).
    """

    clock: Clock
    workspace: Workspace | None = None
    incidents: IncidentStore | None = None
    board: IncidentBoard | None = None
    tickets: TicketRequests | None = None
    rotations: tuple[Rotation, ...] = ()
    settings: IncidentSettings = field(default_factory=IncidentSettings)
    paging: IncidentPaging | None = None
    oncall: OncallDirectory | None = None


def channel_name(prefix: str, title: str, *, day: str, suffix: int = 1) -> str:
    """``<prefix>-<YYYYMMDD>-<slug>`` (Slack's rules: lower case, ``[a-z0-9_-]``, ≤ 80)."""
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:40].strip("-") or "incident"
    name = f"{prefix}-{day}-{slug}"
    if suffix > 1:
        name = f"{name}-{suffix}"
    return name[:80]


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
        workspace, store, board = self._deps.workspace, self._deps.incidents, self._deps.board
        if workspace is None or store is None or board is None:
            return Reply(text="Incidents are not set up in this Switchboard.")
        text = turn.route.text
        declared = _DECLARE.match(text)
        if declared is not None and declared.group("rest").strip():
            rest = declared.group("rest").strip()
            return await self._declare(turn, rest, workspace=workspace, store=store, board=board)
        command = _COMMAND.match(text)
        inbound = turn.inbound
        incident = await store.by_channel(team_id=inbound.team_id, channel_id=inbound.channel_id)
        paging = self._deps.paging
        paged = paging.command(text) if paging is not None else None
        if paging is not None and paged is not None:
            if incident is None:
                return await self._elsewhere(turn, store)
            reply = await paging.page(inbound, incident, event=paged[0], service=paged[1])
            if paged[0] == "trigger" and reply.approval_id is not None:
                # The card names the page now (its line, and acknowledge/resolve buttons).
                await self._refresh(await store.get(incident.incident_id) or incident)
            return reply
        if command is None:
            return Reply(text=_USAGE)
        if incident is None:
            return await self._elsewhere(turn, store)
        verb, rest = command.group("verb").lower(), command.group("rest").strip()
        now = self._deps.clock.now()
        if verb == "postmortem":
            return Reply(text=postmortem_draft(incident), title=f"Postmortem: {incident.title}")
        if verb == "tickets":
            return await self._tickets(incident, turn)
        if verb.startswith("catch"):
            await board.tell(incident.channel_id, inbound.user_id, catch_up(incident, now=now))
            return Reply(text=f"<@{inbound.user_id}>, I sent you a private catch-up.")
        if incident.status == "resolved":
            return Reply(text=f"*{incident.title}* is resolved already.")
        if verb.startswith(("follow", "action")):
            return await self._follow_up(incident, turn, rest, store)
        if verb == "status":
            status = rest.lower()
            if status not in _STATUSES:
                return Reply(text=f"Status must be one of {', '.join(_STATUSES)}.")
            if status == "resolved":
                return await self._resolve(incident, turn, "", store)
            entry = TimelineEntry(now, inbound.user_id, "status", status)
            await self._refresh(await store.add_entry(incident.incident_id, entry))
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
        self,
        turn: TurnContext,
        rest: str,
        *,
        workspace: Workspace,
        store: IncidentStore,
        board: IncidentBoard,
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
        responder = await first_responder(self._deps.oncall, service, now=now)
        invited = {inbound.user_id, oncall, responder.slack_user if responder else None}
        await workspace.invite(channel_id, sorted(u for u in invited if u))
        timeline = [TimelineEntry(now, inbound.user_id, "declared", f"Declared: {title}")]
        if responder is not None and service is not None:
            timeline.append(
                oncall_entry(responder, service=service, at=now, user_id=inbound.user_id)
            )
            oncall = responder.slack_user or oncall
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
            timeline=tuple(timeline),
            oncall=oncall,
        )
        await store.create(incident)
        paging = self._deps.paging if service else None
        card = None
        if paging is not None and service is not None:
            # Requested first, so the summary card names the page and its dedup key.
            card = await paging.page(turn.inbound, incident, event="trigger", service=service)
            incident = await store.get(incident.incident_id) or incident
        await store.set_card(incident.incident_id, await board.show(incident))
        who = f" <@{oncall}> (on call) is invited." if oncall else ""
        if responder is not None and responder.slack_user is None:
            who += (
                f" {responder.person} is on call for `{service}` in PagerDuty; no Slack user "
                "has their email, so they were not invited."
            )
        declared = Reply(text=f"Declared *{title}* ({severity}) in <#{channel_id}>.{who}")
        if card is None:
            return declared
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
        await self._refresh(resolved)
        offer = IncidentPaging.resolve_offer(resolved) if self._deps.paging else ""
        draft = Reply(text=postmortem_draft(resolved) + offer, title=f"Resolved: {incident.title}")
        tickets, workspace = self._deps.tickets, self._deps.workspace
        if tickets is None or workspace is None:
            return draft
        card = await tickets.propose(turn.inbound, resolved)
        if card is None:
            return draft
        # The turn's answer is the approval card (clicks count on it alone); the draft
        # goes to the channel, and `incident: postmortem` redraws it with the ticket links.
        await workspace.post(resolved.channel_id, draft)
        return card

    async def _tickets(self, incident: Incident, turn: TurnContext) -> Reply:
        """Ask again to file the follow-ups without a ticket (after a failed or rejected
        request, or before resolving)."""
        if self._deps.tickets is None:
            return Reply(text="Follow-up tickets are not set up (`incidents.tickets`).")
        card = await self._deps.tickets.propose(turn.inbound, incident)
        return card or Reply(text="Every follow-up has its ticket already.")

    async def _refresh(self, incident: Incident) -> None:
        """Redraw the card (status, roles) if there is one; a card Slack will not update
        is not worth failing the command for."""
        if self._deps.board is not None and incident.card_ts:
            try:
                await self._deps.board.refresh(incident)
            except SlackApiFailure as exc:
                log.warning("incident_card_not_updated", error=exc.error)

    async def _follow_up(
        self, incident: Incident, turn: TurnContext, text: str, store: IncidentStore
    ) -> Reply:
        if not text:
            return Reply(text="What needs doing? `incident: follow-up <text>`")
        inbound = turn.inbound
        followup = FollowUp(
            followup_id=f"fu-{inbound.trace_id}",
            incident_id=incident.incident_id,
            at=self._deps.clock.now(),
            user_id=inbound.user_id,
            text=text,
        )
        await store.add_followup(followup)
        count = len(incident.followups) + 1
        return Reply(text=f"Follow-up {count} captured; it goes into the postmortem.")

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
