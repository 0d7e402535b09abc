"""The incident copies of people's words beyond notes: messages pinned onto a timeline and
follow-ups, erased in the caller's transaction.

A pinned entry is a copy of one Slack message (its ``source_ts``): when that message is
edited the entry takes the new words, when it is deleted the entry is tombstoned (the
timeline keeps that something was pinned then, not what it said). A follow-up is the words
of the turn that captured it (``fu-<trace id>``): deleting that message tombstones it.
Erasing a person tombstones what they wrote in either.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select, update
from sqlalchemy.engine import Connection

from agents.memory.copies import TOMBSTONE, taken_from
from storage.erasure.copies import changed
from storage.erasure.said import Said
from storage.tables import incident_followups, incident_timeline, incidents

__all__ = ["erase_followups_on", "erase_pinned_on", "tombstone_followups_of"]


def erase_pinned_on(
    connection: Connection, *, team_id: str, channel_id: str, ts: str, text: str | None
) -> int:
    """Pinned copies of message ``ts``: rewritten to ``text``, or tombstoned (None)."""
    in_channel = select(incidents.c.incident_id).where(
        incidents.c.team_id == team_id, incidents.c.channel_id == channel_id
    )
    statement = (
        update(incident_timeline)
        .where(
            incident_timeline.c.incident_id.in_(in_channel),
            incident_timeline.c.kind == "pinned",
            incident_timeline.c.source_ts == ts,
            incident_timeline.c.text != (TOMBSTONE if text is None else text),
        )
        .values(text=TOMBSTONE if text is None else text)
    )
    return changed(connection, statement)


def erase_followups_on(connection: Connection, said: Sequence[Said], *, new: str | None) -> int:
    """Follow-ups captured by the turns of ``said`` whose words are gone from ``new``."""
    ids = {f"fu-{s.trace_id}": s for s in said}
    if not ids:
        return 0
    rows = connection.execute(
        select(incident_followups.c.followup_id, incident_followups.c.text).where(
            incident_followups.c.followup_id.in_(ids), incident_followups.c.text != TOMBSTONE
        )
    ).all()
    gone = [
        row.followup_id for row in rows if taken_from(row.text, ids[row.followup_id].text, new=new)
    ]
    if not gone:
        return 0
    statement = (
        update(incident_followups)
        .where(incident_followups.c.followup_id.in_(gone))
        .values(text=TOMBSTONE)
    )
    return changed(connection, statement)


def tombstone_followups_of(connection: Connection, *, team_id: str | None, user_id: str) -> int:
    """Tombstone every follow-up ``user_id`` captured (in the team; any when None)."""
    where = [incident_followups.c.user_id == user_id, incident_followups.c.text != TOMBSTONE]
    if team_id is not None:
        in_team = select(incidents.c.incident_id).where(incidents.c.team_id == team_id)
        where.append(incident_followups.c.incident_id.in_(in_team))
    return changed(connection, update(incident_followups).where(*where).values(text=TOMBSTONE))
