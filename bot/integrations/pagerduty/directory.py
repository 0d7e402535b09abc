"""PagerDuty as the on-call agent's :class:`~agents.incidents.schedules.OncallDirectory`:
service (by its configured name) → its escalation policy → the on-call entries from now to
the horizon, read as shifts per escalation level. Every PagerDuty failure becomes an
:class:`~agents.incidents.schedules.OncallUnavailable` that says what happened.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from agents.incidents.schedules import (
    OncallShift,
    OncallUnavailable,
    PeopleByEmail,
    ServiceOncall,
    levels_of,
)
from bot.integrations.pagerduty.client import (
    PagerDutyAuthError,
    PagerDutyClient,
    PagerDutyError,
    PagerDutyTransient,
)

__all__ = ["PagerDutyDirectory"]

HORIZON = timedelta(days=30)
"""How far ahead on-calls are read to find who is next."""


class PagerDutyDirectory:
    """On-call by service name, from PagerDuty."""

    def __init__(
        self,
        client: PagerDutyClient,
        *,
        service_ids: Mapping[str, str],
        people: PeopleByEmail | None = None,
    ) -> None:
        self._client = client
        self._ids = dict(service_ids)
        self._people = people

    def services(self) -> tuple[str, ...]:
        """The configured service names."""
        return tuple(self._ids)

    async def oncall(self, service: str, *, now: datetime) -> ServiceOncall:
        """Now and next per level for ``service`` (see the module docstring)."""
        service_id = self._ids[service]
        try:
            policy_id, policy_name = await self._client.service_policy(service_id)
            entries = await self._client.oncalls(
                policy_id=policy_id, since=now, until=now + HORIZON
            )
        except PagerDutyAuthError as exc:
            raise OncallUnavailable(
                f"PagerDuty did not accept Switchboard's credentials ({exc.reason}). "
                "Ask an admin to check PAGERDUTY_API_TOKEN."
            ) from exc
        except PagerDutyTransient as exc:
            raise OncallUnavailable(
                f"PagerDuty could not answer just now: {exc.reason}. Try again in a minute."
            ) from exc
        except PagerDutyError as exc:
            raise OncallUnavailable(f"PagerDuty could not answer: {exc.reason}.") from exc
        shifts = [shift for entry in entries if (shift := _shift(entry)) is not None]
        levels = levels_of(await self._matched(shifts), now=now)
        return ServiceOncall(service, policy_name, levels)

    async def _matched(self, shifts: Sequence[OncallShift]) -> list[OncallShift]:
        """The shifts with each person's Slack user, found by email (one lookup per email)."""
        if self._people is None:
            return list(shifts)
        emails = sorted({s.email for s in shifts if s.email})
        found = await asyncio.gather(*(self._people.slack_user(e) for e in emails))
        users = dict(zip(emails, found, strict=True))
        return [replace(s, slack_user=users.get(s.email or "")) for s in shifts]


def _shift(entry: Mapping[str, Any]) -> OncallShift | None:
    """One on-call entry as a shift (None when it is not shaped like one)."""
    user = entry.get("user")
    level = entry.get("escalation_level")
    if not isinstance(user, dict) or not isinstance(level, int):
        return None
    schedule = entry.get("schedule")
    return OncallShift(
        level=level,
        person=str(user.get("summary") or user.get("id") or "someone"),
        start=_instant(entry.get("start")),
        end=_instant(entry.get("end")),
        schedule=str(schedule.get("summary")) if isinstance(schedule, dict) else None,
        email=str(user["email"]) if isinstance(user.get("email"), str) else None,
    )


def _instant(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
