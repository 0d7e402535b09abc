"""The ``oncall`` agent: who is on call now and who is next, from PagerDuty per service when
it is configured, and per rotation in the config file."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from agents.incidents.rotation import Rotation
from agents.incidents.schedules import OncallDirectory, OncallUnavailable, describe
from agents.kernel.clock import Clock
from agents.kernel.models import AgentInfo, Reply, ReplyItem
from agents.turns.agent import TurnContext

__all__ = ["OncallAgent"]

_WORD = re.compile(r"[a-z0-9][a-z0-9_-]*")


class OncallAgent:
    """Answers from PagerDuty (services) and the configured rotations; never guesses."""

    info = AgentInfo(
        name="oncall",
        description="Tells who is on call now and next, per service or rotation.",
        keywords=("on call", "oncall", "on-call", "pager", "rotation"),
        examples=("who is on call?", "who is on call next for primary?"),
    )

    def __init__(
        self,
        rotations: tuple[Rotation, ...],
        *,
        clock: Clock,
        directory: OncallDirectory | None = None,
    ) -> None:
        self._rotations = rotations
        self._clock = clock
        self._directory = directory

    async def handle(self, turn: TurnContext) -> Reply:
        """Now and next for the service or rotation named in the message, or for all."""
        rotations = self._rotations
        services = self._directory.services() if self._directory is not None else ()
        if not rotations and not services:
            return Reply(
                text="No on-call rotation is configured. Add one under `oncall.rotations` in "
                "the config file (name, users, start, shift), or PagerDuty services under "
                "`pagerduty.services`."
            )
        words = set(_WORD.findall(turn.route.text.lower()))
        named_services = [s for s in services if s.lower() in words]
        named = [r for r in rotations if r.name.lower() in words]
        asked_for = _asked_rotation(turn.route.text)
        if not named and not named_services and asked_for is not None:
            known = ", ".join(f"`{n}`" for n in (*services, *(r.name for r in rotations)))
            return Reply(
                text=f"I know no service or rotation called {asked_for!r}. Known: {known}."
            )
        if not named and not named_services:
            named_services, named = list(services), list(rotations)
        now = self._clock.now()
        items = [await self._service(service, now) for service in named_services]
        items += [_item(rotation, now) for rotation in named]
        lines = [f"• {item.label}: {item.detail}" for item in items]
        return Reply(
            text="\n".join(["Who is on call:", *lines]), title="On call", items=tuple(items)
        )

    async def _service(self, service: str, now: datetime) -> ReplyItem:
        assert self._directory is not None  # only called for the directory's services
        try:
            return describe(await self._directory.oncall(service, now=now))
        except OncallUnavailable as exc:
            return ReplyItem(f"{service} · PagerDuty", exc.user_message)


def _asked_rotation(text: str) -> str | None:
    found = re.search(r"\b(?:for|rotation|service)\s+([a-z0-9][a-z0-9_-]*)", text.lower())
    return found.group(1) if found else None


def _item(rotation: Rotation, now: datetime) -> ReplyItem:
    current = rotation.on_call_at(now)
    if not current:
        return ReplyItem(rotation.name, "nobody (the rotation lists no users)")
    at, successor = rotation.next_handoff(now)
    return ReplyItem(
        rotation.name,
        f"<@{current}> now; <@{successor}> from {at.astimezone(UTC):%a %Y-%m-%d %H:%M} UTC",
    )
