"""The ``oncall`` agent: who is on call now and who is next, per configured rotation."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from agents.incidents.rotation import Rotation
from agents.kernel.clock import Clock
from agents.kernel.models import AgentInfo, Reply, ReplyItem
from agents.turns.agent import TurnContext

__all__ = ["OncallAgent"]

_WORD = re.compile(r"[a-z0-9][a-z0-9_-]*")


class OncallAgent:
    """Answers from the rotations in the config file; never guesses."""

    info = AgentInfo(
        name="oncall",
        description="Tells who is on call now and next, per rotation.",
        keywords=("on call", "oncall", "on-call", "pager", "rotation"),
        examples=("who is on call?", "who is on call next for primary?"),
    )

    def __init__(self, rotations: tuple[Rotation, ...], *, clock: Clock) -> None:
        self._rotations = rotations
        self._clock = clock

    async def handle(self, turn: TurnContext) -> Reply:
        """Now and next for the rotation named in the message, or for every rotation."""
        rotations = self._rotations
        if not rotations:
            return Reply(
                text="No on-call rotation is configured. Add one under `oncall.rotations` in "
                "the config file (name, users, start, shift)."
            )
        words = set(_WORD.findall(turn.route.text.lower()))
        named = [r for r in rotations if r.name.lower() in words]
        asked_for = _asked_rotation(turn.route.text)
        if not named and asked_for is not None:
            known = ", ".join(f"`{r.name}`" for r in rotations)
            return Reply(text=f"I know no rotation called {asked_for!r}. Known: {known}.")
        chosen = named or list(rotations)
        now = self._clock.now()
        items = tuple(_item(rotation, now) for rotation in chosen)
        lines = [f"• {item.label}: {item.detail}" for item in items]
        return Reply(text="\n".join(["Who is on call:", *lines]), title="On call", items=items)


def _asked_rotation(text: str) -> str | None:
    found = re.search(r"\b(?:for|rotation)\s+([a-z0-9][a-z0-9_-]*)", text.lower())
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
