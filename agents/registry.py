"""The built-in agents. Adding one is one module under ``agents/`` plus one line here."""

from __future__ import annotations

from agents.core.agent import Agent
from agents.help import HelpAgent

__all__ = ["FALLBACK_AGENT", "builtin_agents"]

FALLBACK_AGENT = "help"


def builtin_agents() -> tuple[Agent, ...]:
    """Fresh instances of every built-in agent, in routing priority order."""
    return (HelpAgent(),)
