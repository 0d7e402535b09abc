"""The timeline kept from what people pin: a 📌 reaction or a pinned message in an incident
channel puts that message (author, time, text, link) on the incident's timeline.

Once: the store keeps one ``pinned`` entry per message, so a duplicate delivery, Slack's
retry, or a pin after a 📌 on the same message adds nothing. Removing the 📌 or unpinning
does not erase it: the timeline is a record of what the team marked as it happened, and
the postmortem is where an entry is judged (the app does not even subscribe to the removal
events). Pins in a channel that is no incident's are ignored.
"""

from __future__ import annotations

from datetime import UTC, datetime

import structlog

from agents.incidents.ports import IncidentBoard, IncidentStore, SlackMessage
from agents.incidents.records import TimelineEntry

__all__ = ["PIN_REACTION", "Pins", "message_time"]

log = structlog.get_logger(__name__)

PIN_REACTION = "pushpin"
_TEXT_LIMIT = 1000


def message_time(ts: str) -> datetime | None:
    """When a message was posted, from its Slack ts (None if ``ts`` is no timestamp)."""
    try:
        return datetime.fromtimestamp(float(ts), UTC)
    except (ValueError, OverflowError, OSError):
        return None


class Pins:
    """Puts pinned messages on their incident's timeline."""

    def __init__(self, store: IncidentStore, *, board: IncidentBoard) -> None:
        self._store = store
        self._board = board

    async def pinned(
        self,
        *,
        team_id: str,
        channel_id: str,
        ts: str,
        message: SlackMessage | None = None,
    ) -> bool:
        """Add message ``ts`` of ``channel_id`` to its incident's timeline (``message``: the
        message when the event carried it, else it is read from Slack). True if added."""
        incident = await self._store.by_channel(team_id=team_id, channel_id=channel_id)
        if incident is None:
            log.info("incident_pin", outcome="not_incident")
            return False
        if any(entry.source_ts == ts for entry in incident.timeline):
            log.info("incident_pin", outcome="duplicate", incident_id=incident.incident_id)
            return False
        found = message or await self._board.message(channel_id, ts)
        at = message_time(ts)
        if found is None or at is None:
            log.info("incident_pin", outcome="unreadable", incident_id=incident.incident_id)
            return False
        entry = TimelineEntry(
            at,
            found.user_id,
            "pinned",
            found.text[:_TEXT_LIMIT],
            source_ts=ts,
            link=await self._board.permalink(channel_id, ts),
        )
        added = await self._store.add_once(incident.incident_id, entry)
        outcome = "added" if added else "duplicate"
        log.info("incident_pin", outcome=outcome, incident_id=incident.incident_id)
        return added
