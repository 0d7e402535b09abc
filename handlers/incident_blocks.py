"""Block Kit for an incident's summary card: what it is, where it stands, who holds each
role, the role controls ("I'll lead", "I'll do comms", and a person picker to hand a
role to someone) and the paging buttons (page a service, acknowledge, resolve). Pure
functions; the listeners in :mod:`handlers.incidents` parse what the controls send back
with :func:`parse_role_action` and :func:`parse_page_action`."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
    UserSelectElement,
)

from agents.incidents.page_buttons import page_controls
from agents.incidents.pagerduty_news import pagerduty_states
from agents.incidents.paging import PageEvent, paged_services
from agents.incidents.records import ROLES, Incident, Role
from agents.incidents.responders import oncall_name

__all__ = [
    "ASSIGN_PREFIX",
    "PAGE_PREFIX",
    "ROLES_BLOCK_PREFIX",
    "TAKE_PREFIX",
    "card_text",
    "incident_card",
    "parse_page_action",
    "parse_role_action",
]

TAKE_PREFIX = "incident_take_"
"""``incident_take_<role>``: the clicker takes the role (the button's value: incident id)."""
ASSIGN_PREFIX = "incident_assign_"
"""``incident_assign_<role>``: hand the role to the person picked (block id names the
incident)."""
ROLES_BLOCK_PREFIX = "incident_roles:"
PAGE_PREFIX = "incident_page:"
"""``incident_page:<event>:<service>``: a paging button (its value: the incident id)."""
_PAGE_LABELS: dict[PageEvent, str] = {
    "trigger": "Page {service}",
    "acknowledge": "Acknowledge {service}",
    "resolve": "Resolve {service} in PagerDuty",
}

_TAKE_LABELS: dict[Role, str] = {"lead": "I'll lead", "comms": "I'll do comms"}
_HAND_LABELS: dict[Role, str] = {"lead": "Hand lead to…", "comms": "Hand comms to…"}
_HELP = (
    "In this channel: `incident: status <investigating|identified|monitoring>`, "
    "`incident: note <text>`, `incident: follow-up <text>`, `incident: catch up`, "
    "`incident: resolve [summary]`. 📌 a message to put it on the timeline."
)


def card_text(incident: Incident) -> str:
    """The card's notification fallback."""
    return f"Incident: {incident.title} ({incident.severity}, {incident.status})"


def _who(user: str | None, *, none: str = "nobody yet") -> str:
    return f"<@{user}>" if user else none


def _oncall(incident: Incident) -> str:
    """The on-call person: a mention, else the name PagerDuty gave, else none."""
    return _who(incident.oncall, none=oncall_name(incident) or "no rotation")


def _page_line(incident: Incident, service: str, key: str) -> str:
    """A paged service: what PagerDuty last said of it (linked), and its dedup key."""
    state, link = pagerduty_states(incident).get(service, ("paged", None))
    shown = f"<{link}|{state}>" if link else state
    return f"`{service}` {shown} (dedup key `{key}`)"


def _paging_block(incident: Incident, pageable: tuple[str, ...]) -> ActionsBlock | None:
    """The paging buttons the card offers now (each goes through approval when clicked)."""
    controls = page_controls(incident, pageable)
    if not controls:
        return None
    buttons = [
        ButtonElement(
            text=_PAGE_LABELS[event].format(service=service)[:75],
            action_id=f"{PAGE_PREFIX}{event}:{service}",
            value=incident.incident_id,
            style="danger" if event == "trigger" else None,
        )
        for event, service in controls
    ]
    return ActionsBlock(block_id=f"incident_paging:{incident.incident_id}", elements=buttons)


def incident_card(incident: Incident, *, pageable: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """The summary card (``pageable``: the services that can be paged, for its paging
    buttons); its controls are gone once the incident is resolved."""
    fields = [
        MarkdownTextObject(text=f"*Severity*\n{incident.severity}"),
        MarkdownTextObject(text=f"*Status*\n{incident.status}"),
        MarkdownTextObject(text=f"*Lead*\n{_who(incident.lead)}"),
        MarkdownTextObject(text=f"*Comms*\n{_who(incident.comms)}"),
        MarkdownTextObject(text=f"*Reporter*\n<@{incident.reporter}>"),
        MarkdownTextObject(text=f"*On call*\n{_oncall(incident)}"),
    ]
    paged = paged_services(incident)
    if paged:
        pages = "\n".join(_page_line(incident, service, key) for service, key in paged.items())
        fields.append(
            MarkdownTextObject(
                text=f"*PagerDuty*\n{pages}\napproval and incident link in "
                f"<#{incident.origin_channel_id}>"
            )
        )
    blocks: list[Block] = [
        HeaderBlock(text=PlainTextObject(text=f"Incident: {incident.title}"[:150])),
        SectionBlock(fields=fields),
    ]
    if incident.status != "resolved":
        elements: list[ButtonElement | UserSelectElement] = [
            ButtonElement(
                text=_TAKE_LABELS[role],
                action_id=f"{TAKE_PREFIX}{role}",
                value=incident.incident_id,
                style="primary" if role == "lead" else None,
            )
            for role in ROLES
        ]
        elements += [
            UserSelectElement(placeholder=_HAND_LABELS[role], action_id=f"{ASSIGN_PREFIX}{role}")
            for role in ROLES
        ]
        blocks.append(
            ActionsBlock(block_id=f"{ROLES_BLOCK_PREFIX}{incident.incident_id}", elements=elements)
        )
        paging = _paging_block(incident, pageable)
        if paging is not None:
            blocks.append(paging)
    blocks.append(ContextBlock(elements=[MarkdownTextObject(text=_HELP)]))
    return [block.to_dict() for block in blocks]


def parse_role_action(
    action_id: str, *, value: str, block_id: str, selected_user: str, user_id: str
) -> tuple[Role, str, str] | None:
    """(role, assignee, incident id) of a role control, or None if it is none."""
    for prefix, assignee, incident_id in (
        (TAKE_PREFIX, user_id, value),
        (ASSIGN_PREFIX, selected_user, block_id.removeprefix(ROLES_BLOCK_PREFIX)),
    ):
        if action_id.startswith(prefix):
            role = action_id.removeprefix(prefix)
            for known in ROLES:
                if known == role and incident_id:
                    return known, assignee, incident_id
    return None


def parse_page_action(action_id: str, *, value: str) -> tuple[PageEvent, str, str] | None:
    """(event, service, incident id) of a paging button, or None if it is none."""
    if not action_id.startswith(PAGE_PREFIX) or not value:
        return None
    event, _, service = action_id.removeprefix(PAGE_PREFIX).partition(":")
    for known in _PAGE_LABELS:
        if known == event and service:
            return known, service, value
    return None
