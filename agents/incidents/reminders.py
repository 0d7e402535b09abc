"""Status-update reminders: an open incident whose status has not been updated for its
severity's interval gets a reminder in its channel, addressed to the lead (or, with no lead,
to the channel).

Driven by the worker's periodic sweep with the runtime's clock, never by a sleep here. Once
per interval: the reminder's time is stored compare-and-set before it is posted, so a
restart or a second replica does not remind twice; the next one is due an interval after
the later of the last status update and the last reminder. A resolved incident is never
swept.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

import structlog

from agents.incidents.ports import IncidentStore, Workspace
from agents.incidents.records import Incident
from agents.incidents.summary import age
from agents.kernel.clock import Clock
from agents.kernel.errors import SlackApiFailure
from agents.kernel.models import Reply
from agents.kernel.tenancy import acting_for

__all__ = ["Reminders", "reminder_text"]

log = structlog.get_logger(__name__)


def reminder_text(incident: Incident, *, quiet_for: timedelta) -> str:
    """The reminder: who should act, how long it has been quiet, and the command."""
    who = f"<@{incident.lead}>" if incident.lead else "<!here> (no lead yet: take it on the card)"
    return (
        f"{who} no status update on *{incident.title}* ({incident.severity}) for "
        f"{age(quiet_for)}. Post one with `incident: status <investigating|identified|"
        "monitoring>`, or note progress with `incident: note <text>`."
    )


class Reminders:
    """Reminds open incidents that are due, per severity (``intervals``; a severity with no
    interval is never reminded)."""

    def __init__(
        self,
        store: IncidentStore,
        *,
        workspace: Workspace,
        clock: Clock,
        intervals: Mapping[str, timedelta],
    ) -> None:
        self._store = store
        self._workspace = workspace
        self._clock = clock
        self._intervals = dict(intervals)

    @property
    def enabled(self) -> bool:
        """Whether any severity has an interval (else the sweep need not run)."""
        return bool(self._intervals)

    async def remind_due(self) -> int:
        """Post every reminder that is due now; how many were posted."""
        sent = 0
        for listed in await self._store.open_incidents():
            interval = self._intervals.get(listed.severity)
            if interval is None:
                continue
            incident = await self._store.by_channel(
                team_id=listed.team_id, channel_id=listed.channel_id
            )
            if incident is None or incident.status == "resolved":
                continue
            now = self._clock.now()
            updated = incident.last_update_at
            since = max(updated, incident.reminded_at or updated)
            if now - since < interval:
                continue
            if not await self._store.mark_reminded(
                incident.incident_id, previous=incident.reminded_at, at=now
            ):
                continue
            text = reminder_text(incident, quiet_for=now - updated)
            try:
                with acting_for(incident.team_id):
                    await self._workspace.post(incident.channel_id, Reply(text=text))
            except SlackApiFailure as exc:
                # This interval's reminder is lost (its time is stored); the next is not.
                log.warning("incident_reminder_failed", error=exc.error)
                continue
            log.info("incident_reminded", incident_id=incident.incident_id)
            sent += 1
        return sent
