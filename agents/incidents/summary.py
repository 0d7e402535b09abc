"""What an incident looks like in words: the catch-up a late joiner gets privately, and the
postmortem draft built from the timeline. Pure functions of the stored incident."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from agents.incidents.records import PAGERDUTY_AUTHOR, ROLES, FollowUp, Incident, TimelineEntry
from agents.kernel.models import Reply, ReplyItem

__all__ = ["CATCH_UP_ENTRIES", "age", "catch_up", "entry_line", "postmortem_draft", "when"]

CATCH_UP_ENTRIES = 5
"""How many of the latest timeline entries a catch-up shows."""


def when(moment: datetime) -> str:
    """``2026-12-04 03:10 UTC``."""
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


def age(span: timedelta) -> str:
    """A span as people say it: ``2h 05m``, ``14m``, ``3d 2h``."""
    minutes = max(0, int(span.total_seconds() // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    return f"{hours}h {minutes:02d}m" if hours else f"{minutes}m"


def entry_line(entry: TimelineEntry) -> str:
    """One timeline entry as a line (time in UTC, kind, who, what; pinned ones linked)."""
    text = entry.text.replace("\n", " ")
    if entry.kind == "pinned":
        link = f" (<{entry.link}|message>)" if entry.link else ""
        return f"{entry.at.astimezone(UTC):%H:%M} 📌 <@{entry.user_id}>: {text}{link}"
    if entry.user_id == PAGERDUTY_AUTHOR:  # a webhook's news: its text names PagerDuty
        link = f" (<{entry.link}|PagerDuty>)" if entry.link else ""
        return f"{entry.at.astimezone(UTC):%H:%M} {text}{link}"
    return f"{entry.at.astimezone(UTC):%H:%M} {entry.kind} <@{entry.user_id}>: {text}"


def _roles(incident: Incident) -> str:
    held = [
        f"{role} <@{holder}>" if (holder := incident.holder(role)) else f"{role}: nobody yet"
        for role in ROLES
    ]
    return ", ".join(held)


def _followup_line(followup: FollowUp) -> str:
    ticket = f" → <{followup.issue_url}|#{followup.issue_number}>" if followup.issue_url else ""
    return f"{followup.text} (<@{followup.user_id}>){ticket}"


def _in_order(incident: Incident) -> list[TimelineEntry]:
    # Pinned messages carry the time they were said, which may precede later entries.
    return sorted(incident.timeline, key=lambda entry: entry.at)


def catch_up(incident: Incident, *, now: datetime, last: int = CATCH_UP_ENTRIES) -> Reply:
    """A private summary for someone joining late: what, how bad, where it stands, who runs
    it, since when, the latest timeline entries and the open follow-ups."""
    entries = _in_order(incident)[-last:]
    open_ones = [f for f in incident.followups if f.issue_number is None]
    items = (
        ReplyItem("Severity and status", f"{incident.severity}, {incident.status}"),
        ReplyItem("Roles", _roles(incident)),
        ReplyItem(
            "Declared",
            f"{age(now - incident.declared_at)} ago by <@{incident.reporter}> "
            f"({when(incident.declared_at)})",
        ),
        ReplyItem(
            f"Latest {len(entries)} timeline entries",
            "\n".join(f"• {entry_line(e)}" for e in entries) or "none",
        ),
        ReplyItem(
            "Open follow-ups",
            "\n".join(f"• {_followup_line(f)}" for f in open_ones) or "none",
        ),
    )
    return Reply(
        text=f"Catching up on *{incident.title}*",
        title=f"Catch-up: {incident.title}",
        items=items,
    )


def postmortem_draft(incident: Incident) -> str:
    """A postmortem draft from the stored incident: summary, impact and severity, roles,
    the timeline in UTC with the pinned messages, follow-ups with their tickets, and the
    parts only people can write."""
    resolved = incident.resolved_at
    duration = f" after {age(resolved - incident.declared_at)}" if resolved else ""
    lines = [
        f"*Postmortem draft: {incident.title}* ({incident.severity})",
        "",
        "*Summary*",
        f"Declared by <@{incident.reporter}> at {when(incident.declared_at)}"
        + (f", resolved at {when(resolved)}{duration}." if resolved else "."),
        "",
        "*Impact and severity*",
        f"Severity {incident.severity}. _Who was affected, how, and for how long (to be "
        "filled in)._",
        "",
        "*Roles*",
        _roles(incident) + (f"; on call <@{incident.oncall}>" if incident.oncall else ""),
        "",
        "*Timeline (UTC)*",
    ]
    lines += [f"• {entry_line(entry)}" for entry in _in_order(incident)]
    pinned = [entry for entry in incident.timeline if entry.kind == "pinned"]
    lines += ["", f"*Pinned during the incident* ({len(pinned)})"]
    lines += [f"• {entry_line(entry)}" for entry in pinned] or ["_Nothing was pinned._"]
    lines += ["", "*Follow-ups*"]
    lines += [f"• {_followup_line(f)}" for f in incident.followups] or [
        "_None captured (`incident: follow-up <text>` during an incident)._"
    ]
    lines += ["", "*Root cause*", "_To be filled in._"]
    return "\n".join(lines)
