"""A ``Progress`` that remembers what a turn reported, in order."""

from __future__ import annotations

from agents.turns.progress import TaskUpdate


class RecordingProgress:
    """Every status, task update and text piece, as ``(kind, value)`` in order."""

    def __init__(self) -> None:
        self.events: list[tuple[str, object]] = []

    async def routed(self, agent: str) -> None:
        self.events.append(("routed", agent))

    async def status(self, text: str) -> None:
        self.events.append(("status", text))

    async def task(self, update: TaskUpdate) -> None:
        self.events.append(("task", update))

    async def text(self, piece: str) -> None:
        self.events.append(("text", piece))

    def of(self, kind: str) -> list[object]:
        return [value for seen, value in self.events if seen == kind]
