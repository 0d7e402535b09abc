"""A turn's progress, as it happens: what the agent is doing, the tasks of its plan, and the
answer's text as the model writes it.

The domain says what is happening through the :class:`Progress` port; the Slack edge shows
it (a status line, task cards, a streamed message) and the domain never knows how. A turn
nobody watches (a recovered delivery, the evaluation replay) gets :data:`SILENT`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

__all__ = ["SILENT", "Progress", "Silent", "SourceLink", "TaskStatus", "TaskUpdate"]

TaskStatus = Literal["pending", "in_progress", "complete", "error"]


@dataclass(frozen=True, slots=True)
class SourceLink:
    """Where a task's result came from (a runbook section a knowledge answer cites)."""

    url: str
    text: str


@dataclass(frozen=True, slots=True)
class TaskUpdate:
    """One task of the turn's plan, as it stands now (sent again each time it changes).

    Attributes:
        task_id: stable within the turn, so a later update replaces the earlier one.
        details: a line about the task (what was found, why it failed).
        sources: what the task's result came from.
    """

    task_id: str
    title: str
    status: TaskStatus
    details: str = ""
    sources: tuple[SourceLink, ...] = ()


class Progress(Protocol):
    """Where a turn reports what it is doing while it works.

    Showing progress is best effort: an implementation swallows its own failures (a status
    Slack refused must never fail the turn).
    """

    async def routed(self, agent: str) -> None:
        """The turn was routed to ``agent`` (quick: it says nothing of how long the turn
        will take, unlike a status)."""
        ...

    async def status(self, text: str) -> None:
        """What the agent is doing now, e.g. ``is searching the runbooks…``: work that may
        take a while."""
        ...

    async def task(self, update: TaskUpdate) -> None:
        """A task of the plan started, finished or failed."""
        ...

    async def text(self, piece: str) -> None:
        """The next piece of the answer, as the model writes it."""
        ...


class Silent:
    """Progress nobody watches."""

    async def routed(self, agent: str) -> None:
        """Nothing to show."""

    async def status(self, text: str) -> None:
        """Nothing to show."""

    async def task(self, update: TaskUpdate) -> None:
        """Nothing to show."""

    async def text(self, piece: str) -> None:
        """Nothing to show."""


SILENT: Progress = Silent()
"""The progress of a turn nobody watches."""
