"""Agents' MCP scopes granted as actions, once the servers listed their tools.

An agent's ``mcp`` entries name a server (every tool it exposes) or ``SERVER:TOOL`` with a
tool name or glob (``grafana:*``). Each matching exposed tool's action is added to the agent's
profile as ``granted`` (:class:`agents.turns.profiles.AgentProfile`); from then on one rule
(:mod:`agents.actions.scopes`) decides what the agent's model is offered, what its rules
planner matches, and what is admitted and run for it. A server that could not be listed grants
nothing (its tools are not offered at all).

Also reported, for ``config check``: an entry that matched no tool of a listed server, and a
tool no agent may use (a server without an owning ``agent`` that no scope names).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from types import MappingProxyType

from bot.config_file import LoadedConfig
from bot.config_file.sections.agents import split_scope
from bot.integrations.mcp.tools import ToolListing

__all__ = ["ScopeGrants", "grant_scopes"]


@dataclass(frozen=True, slots=True)
class ScopeGrants:
    """The config with every agent's scope granted, and what ``config check`` warns about.

    Attributes:
        granted: agent -> the action names its scope grants.
        unmatched: ``(agent, entry)`` for each entry that matched no tool of a listed server.
        unreachable: ``(server, tool)`` of each exposed tool no agent owns or is granted.
    """

    config: LoadedConfig
    granted: Mapping[str, tuple[str, ...]]
    unmatched: tuple[tuple[str, str], ...]
    unreachable: tuple[tuple[str, str], ...]


def grant_scopes(config: LoadedConfig, listed: Mapping[str, Sequence[ToolListing]]) -> ScopeGrants:
    """Grant each agent the exposed tools its ``mcp`` entries match.

    Args:
        listed: the exposed tools of each server that could be listed, by server name.
    """
    granted: dict[str, tuple[str, ...]] = {}
    unmatched: list[tuple[str, str]] = []
    for agent, entries in config.mcp_scopes.items():
        actions: list[str] = []
        for entry in entries:
            server, pattern = split_scope(entry)
            if server not in listed:
                continue  # not listed: nothing to grant, and nothing to say it matched
            found = [t.action for t in listed[server] if fnmatchcase(t.tool, pattern)]
            if not found:
                unmatched.append((agent, entry))
            actions += [name for name in found if name not in actions]
        if actions:
            granted[agent] = tuple(actions)
    reached = {name for names in granted.values() for name in names}
    unreachable = tuple(
        (server, tool.tool)
        for server, tools in listed.items()
        for tool in tools
        if not tool.agent and tool.action not in reached
    )
    return ScopeGrants(_with_grants(config, granted), granted, tuple(unmatched), unreachable)


def _with_grants(config: LoadedConfig, granted: Mapping[str, tuple[str, ...]]) -> LoadedConfig:
    """``config`` with each agent's profile granted its actions (every agent with a scope is
    declared, so it has a profile)."""
    if not granted:
        return config
    profiles = dict(config.planning.profiles)
    for agent, actions in granted.items():
        profiles[agent] = dataclasses.replace(profiles[agent], granted=actions)
    planning = dataclasses.replace(config.planning, profiles=MappingProxyType(profiles))
    return dataclasses.replace(config, planning=planning)
