"""The built-in agents. Adding one is one module under ``agents/builtin/`` plus one line here.

Each agent is handed only what it uses: the incident agent its workspace, store and
rotations; the on-call agent the rotations; the memory agent the notes and thread memory;
the knowledge agent the runbook index and its composer.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from agents.builtin.deploy import DEPLOY_INFO, ActionAgent
from agents.builtin.help import HelpAgent
from agents.builtin.incident import IncidentAgent, IncidentDeps
from agents.builtin.knowledge import KnowledgeAgent, KnowledgeDeps
from agents.builtin.memory import MemoryAgent
from agents.builtin.oncall import OncallAgent
from agents.incidents.schedules import OncallDirectory
from agents.kernel.clock import Clock
from agents.memory.notes import NoteStore
from agents.memory.threads import ThreadMemoryStore
from agents.turns.agent import Agent
from agents.turns.profiles import AgentProfile

__all__ = ["BUILTIN_AGENTS", "FALLBACK_AGENT", "BuiltinDeps", "builtin_agents"]

FALLBACK_AGENT = "help"
BUILTIN_AGENTS = frozenset({"deploy", "incident", "oncall", "memory", "knowledge", "help"})
"""Names the config file may use without declaring them under ``agents``."""


@dataclass(frozen=True, slots=True)
class BuiltinDeps:
    """What the built-in agents are built from; each takes its own part."""

    clock: Clock
    incident: IncidentDeps
    knowledge: KnowledgeDeps
    notes: NoteStore | None = None
    threads: ThreadMemoryStore | None = None
    oncall: OncallDirectory | None = None
    """Where the on-call agent reads services' on-call (PagerDuty), if anywhere."""


def builtin_agents(deps: BuiltinDeps, *, custom: Iterable[AgentProfile] = ()) -> tuple[Agent, ...]:
    """Fresh instances of every built-in agent, then one action agent per agent declared in
    the config file under a new name, in routing priority order (help first)."""
    agents: list[Agent] = [
        HelpAgent(),
        ActionAgent(DEPLOY_INFO),
        IncidentAgent(deps.incident),
        OncallAgent(deps.incident.rotations, clock=deps.clock, directory=deps.oncall),
        MemoryAgent(deps.notes, clock=deps.clock, threads=deps.threads),
        KnowledgeAgent(deps.knowledge),
    ]
    agents += [ActionAgent(p.info) for p in custom if p.info.name not in BUILTIN_AGENTS]
    return tuple(agents)
