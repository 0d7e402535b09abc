"""The built-in agents. Adding one is one module under ``agents/`` plus one line here."""

from __future__ import annotations

from collections.abc import Iterable

from agents.builtin.deploy import DEPLOY_INFO, ActionAgent
from agents.builtin.help import HelpAgent
from agents.builtin.incident import IncidentAgent
from agents.builtin.knowledge import KnowledgeAgent
from agents.builtin.memory import MemoryAgent
from agents.builtin.oncall import OncallAgent
from agents.turns.agent import Agent, AgentDeps
from agents.turns.profiles import AgentProfile

__all__ = ["BUILTIN_AGENTS", "FALLBACK_AGENT", "builtin_agents"]

FALLBACK_AGENT = "help"
BUILTIN_AGENTS = frozenset({"deploy", "incident", "oncall", "memory", "knowledge", "help"})
"""Names the config file may use without declaring them under ``agents``."""


def builtin_agents(deps: AgentDeps, *, custom: Iterable[AgentProfile] = ()) -> tuple[Agent, ...]:
    """Fresh instances of every built-in agent, then one action agent per agent declared in
    the config file under a new name, in routing priority order (help first)."""
    agents: list[Agent] = [
        HelpAgent(),
        ActionAgent(DEPLOY_INFO),
        IncidentAgent(deps),
        OncallAgent(deps),
        MemoryAgent(deps),
        KnowledgeAgent(deps),
    ]
    agents += [ActionAgent(p.info) for p in custom if p.info.name not in BUILTIN_AGENTS]
    return tuple(agents)
