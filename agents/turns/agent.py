"""What an agent is: a small, scoped handler of turns with public info for the router.

Each agent is built with only the dependencies it uses (its constructor says which); the
registry builds the built-in ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from agents.actions.spec import ActionSpec
from agents.kernel.models import AgentInfo, Inbound, Reply, Route
from agents.turns.progress import SILENT, Progress
from agents.turns.stopping import StopSignal

__all__ = ["Agent", "TurnContext"]


@dataclass(frozen=True, slots=True)
class TurnContext:
    """Everything an agent may see of one turn.

    Attributes:
        inbound: the person's message.
        route: the router's decision (``route.text`` has any agent prefix removed).
        catalog: the public info of every registered agent, for hand-off hints and help.
        actions: the configured actions the asking person may request.
        scope: those of them this agent may use.
        progress: where the agent says what it is doing (searching, composing…).
        stop: set when a person stops the turn; an agent waiting on a model races it
            (``await turn.stop.race(call)``) so Stop cancels the call.
    """

    inbound: Inbound
    route: Route
    catalog: tuple[AgentInfo, ...]
    actions: tuple[ActionSpec, ...] = ()
    scope: tuple[ActionSpec, ...] = ()
    progress: Progress = SILENT
    stop: StopSignal = field(default_factory=StopSignal)


class Agent(Protocol):
    """A scoped domain agent. It answers one turn; it never calls another agent."""

    @property
    def info(self) -> AgentInfo:
        """Name, description and keywords, for the router and the help agent."""
        ...

    async def handle(self, turn: TurnContext) -> Reply:
        """Answer one turn."""
        ...
