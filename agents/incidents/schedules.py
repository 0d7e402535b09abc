"""Who is on call for a service, as an external on-call system (PagerDuty) says.

The on-call agent asks an :class:`OncallDirectory` for a service's escalation policy and the
people on call at each level now and next; the edge implements it over PagerDuty's REST API
(service → escalation policy → on-calls). A directory that cannot answer raises
:class:`OncallUnavailable` with words fit to show the person who asked.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from agents.kernel.errors import UserFacingError
from agents.kernel.models import ReplyItem

__all__ = [
    "LevelOncall",
    "OncallDirectory",
    "OncallShift",
    "OncallUnavailable",
    "PeopleByEmail",
    "ServiceOncall",
    "describe",
    "levels_of",
]


class OncallUnavailable(UserFacingError):
    """The on-call system could not answer (refused the token, rate limited, timed out…)."""


@dataclass(frozen=True, slots=True)
class OncallShift:
    """One person on call at one escalation level from ``start`` to ``end``.

    Attributes:
        start, end: None when the person is always on call at that level.
        schedule: the schedule that puts them there (None: named directly in the policy).
        email: their login email in the on-call system (how they are found in Slack).
        slack_user: their Slack user id, when one has that email (None: shown by name).
    """

    level: int
    person: str
    start: datetime | None = None
    end: datetime | None = None
    schedule: str | None = None
    email: str | None = None
    slack_user: str | None = None

    @property
    def shown(self) -> str:
        """A Slack mention when matched, else the name."""
        return f"<@{self.slack_user}>" if self.slack_user else self.person


@dataclass(frozen=True, slots=True)
class LevelOncall:
    """One escalation level: who is on call now, and who takes over next (if anyone)."""

    level: int
    now: OncallShift
    next: OncallShift | None = None


@dataclass(frozen=True, slots=True)
class ServiceOncall:
    """A service's escalation policy and its levels, lowest first."""

    service: str
    policy: str
    levels: tuple[LevelOncall, ...]


class PeopleByEmail(Protocol):
    """Slack users by the email they log in with."""

    async def slack_user(self, email: str) -> str | None:
        """The Slack user id with this email (None: nobody, or Slack could not say)."""
        ...


class OncallDirectory(Protocol):
    """An external on-call system, by service name."""

    def services(self) -> tuple[str, ...]:
        """The service names it knows (as configured)."""
        ...

    async def oncall(self, service: str, *, now: datetime) -> ServiceOncall:
        """Who is on call for ``service`` at ``now``, and next, per escalation level.

        Raises:
            OncallUnavailable: the system could not be asked or refused (the message says).
        """
        ...


def levels_of(shifts: Sequence[OncallShift], *, now: datetime) -> tuple[LevelOncall, ...]:
    """Per level, the shift covering ``now`` and the earliest one starting after it ends
    (by someone else, or the same person's next shift); levels nobody covers are left out."""
    levels: list[LevelOncall] = []
    for level in sorted({s.level for s in shifts}):
        at_level = [s for s in shifts if s.level == level]
        current = next((s for s in at_level if _covers(s, now)), None)
        if current is None:
            continue
        after = current.end
        later = sorted(
            (s for s in at_level if after is not None and s.start is not None and s.start >= after),
            key=lambda s: s.start or now,
        )
        levels.append(LevelOncall(level, current, later[0] if later else None))
    return tuple(levels)


def _covers(shift: OncallShift, now: datetime) -> bool:
    starts = shift.start is None or shift.start <= now
    return starts and (shift.end is None or now < shift.end)


def describe(oncall: ServiceOncall) -> ReplyItem:
    """The service (and its escalation policy) with one line per level: who now, until
    when, and who next."""
    lines: list[str] = []
    for level in oncall.levels:
        now = level.now
        if now.end is None:
            text = f"{now.shown} (always on call at this level)"
        else:
            text = f"{now.shown} until {_when(now.end)}"
            if level.next is not None:
                text += f", then {level.next.shown}"
                if level.next.end is not None:
                    text += f" until {_when(level.next.end)}"
        via = f" ({now.schedule})" if now.schedule else ""
        lines.append(f"Level {level.level}{via}: {text}")
    label = f"{oncall.service} · PagerDuty escalation policy {oncall.policy}"
    return ReplyItem(label, "\n".join(lines) or "Nobody is on call right now.")


def _when(moment: datetime) -> str:
    return f"{moment.astimezone(UTC):%a %Y-%m-%d %H:%M} UTC"
