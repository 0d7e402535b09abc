"""On-call rotations (who is on call when) and incident settings, as domain values.

A rotation hands over every ``shift`` starting at ``start``, cycling through ``users``;
an override puts someone else on call for a window and wins over the rotation.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

__all__ = ["DEFAULT_UPDATE_INTERVALS", "IncidentSettings", "Override", "Rotation"]

DEFAULT_UPDATE_INTERVALS: Mapping[str, timedelta] = {
    "sev1": timedelta(minutes=30),
    "sev2": timedelta(hours=1),
}
"""Status-update reminder intervals when the config names none (sev3: no reminders)."""


@dataclass(frozen=True, slots=True)
class Override:
    """``user`` is on call from ``start`` (inclusive) to ``end`` (exclusive)."""

    user: str
    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class Rotation:
    """An on-call rotation.

    Attributes:
        users: Slack user ids, in hand-over order.
        start: when ``users[0]``'s first shift began (timezone-aware).
        shift: how long each shift lasts.
    """

    name: str
    users: tuple[str, ...] = ()
    start: datetime = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    shift: timedelta = timedelta(days=7)
    overrides: tuple[Override, ...] = ()

    def scheduled_at(self, when: datetime) -> str:
        """Who the rotation itself puts on call at ``when`` (overrides ignored)."""
        if not self.users:
            return ""
        index = (when - self.start) // self.shift
        return self.users[index % len(self.users)]

    def on_call_at(self, when: datetime) -> str:
        """Who is on call at ``when``: an override covering it, else the rotation."""
        for override in self.overrides:
            if override.start <= when < override.end:
                return override.user
        return self.scheduled_at(when)

    def next_handoff(self, after: datetime) -> tuple[datetime, str]:
        """The first moment after ``after`` when the person on call changes, and who takes
        over (shift boundaries and override edges both count)."""
        now_user = self.on_call_at(after)
        edges = {o.start for o in self.overrides} | {o.end for o in self.overrides}
        index = (after - self.start) // self.shift
        for step in range(1, 2 * len(self.users) + 2):
            edges.add(self.start + (index + step) * self.shift)
        for edge in sorted(e for e in edges if e > after):
            user = self.on_call_at(edge)
            if user != now_user:
                return edge, user
        return self.start + (index + 1) * self.shift, now_user


@dataclass(frozen=True, slots=True)
class IncidentSettings:
    """How incidents are declared.

    Attributes:
        oncall_rotation: the rotation whose on-call person is invited to new incidents.
        channel_prefix: incident channels are named ``<prefix>-<YYYYMMDD>-<slug>``.
        update_intervals: per severity, how long an incident may go without a status update
            before the channel is reminded (a severity not named is never reminded).
    """

    oncall_rotation: str | None = None
    channel_prefix: str = "inc"
    severities: tuple[str, ...] = ("sev1", "sev2", "sev3")
    default_severity: str = "sev2"
    update_intervals: Mapping[str, timedelta] = field(
        default_factory=lambda: dict(DEFAULT_UPDATE_INTERVALS)
    )
