"""What an agent is: a small, scoped handler of turns with public info for the router."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from agents.actions.spec import ActionSpec
from agents.incidents.ports import IncidentStore, Workspace
from agents.incidents.rotation import IncidentSettings, Rotation
from agents.kernel.clock import Clock
from agents.kernel.models import AgentInfo, Inbound, Reply, Route
from agents.memory.compose import Composer
from agents.memory.knowledge import KnowledgeIndex, KnowledgeSettings
from agents.memory.notes import NoteStore
from agents.memory.threads import ThreadMemoryStore

__all__ = ["Agent", "AgentDeps", "TurnContext"]


@dataclass(frozen=True, slots=True)
class AgentDeps:
    """What the built-in agents may be handed when the registry builds them.

    Attributes:
        workspace: Slack workspace operations beyond the turn's own reply (create a channel...).
        incidents: where incidents and their timelines are stored.
        rotations: the on-call rotations from the config file.
        incident_settings: how incidents are declared (which rotation to page...).
        knowledge: the runbook index; knowledge_settings: how answers cite and when they miss.
        notes: long-term notes ("remember that ...").
        threads: facts pinned in a thread and its rolling summary.
        composer: a model that writes knowledge answers from retrieved sections only.
    """

    clock: Clock
    workspace: Workspace | None = None
    incidents: IncidentStore | None = None
    rotations: tuple[Rotation, ...] = ()
    incident_settings: IncidentSettings | None = None
    knowledge: KnowledgeIndex | None = None
    knowledge_settings: KnowledgeSettings | None = None
    notes: NoteStore | None = None
    threads: ThreadMemoryStore | None = None
    composer: Composer | None = None


@dataclass(frozen=True, slots=True)
class TurnContext:
    """Everything an agent may see of one turn.

    Attributes:
        inbound: the person's message.
        route: the router's decision (``route.text`` has any agent prefix removed).
        catalog: the public info of every registered agent, for hand-off hints and help.
        actions: the configured actions the asking person may request.
        scope: those of them this agent may use.
    """

    inbound: Inbound
    route: Route
    catalog: tuple[AgentInfo, ...]
    actions: tuple[ActionSpec, ...] = ()
    scope: tuple[ActionSpec, ...] = ()


class Agent(Protocol):
    """A scoped domain agent. It answers one turn; it never calls another agent."""

    @property
    def info(self) -> AgentInfo:
        """Name, description and keywords, for the router and the help agent."""
        ...

    async def handle(self, turn: TurnContext) -> Reply:
        """Answer one turn."""
        ...
