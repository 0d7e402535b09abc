"""The registered agents as the turn sees them: each with its configured profile.

A profile from the config file overrides the built-in agent's public info field by field;
agents without a profile keep their own. Built once at start-up: a duplicate name, an unknown
fallback or a profile for an agent nobody registered is a configuration error.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from agents.actions.scopes import AgentScopes, may_use
from agents.actions.spec import ActionSpec
from agents.kernel.errors import ConfigError
from agents.kernel.models import AgentInfo
from agents.turns.agent import Agent
from agents.turns.profiles import AgentProfile

__all__ = ["AgentCatalog", "agent_scopes", "usable_actions"]


class AgentCatalog:
    """The agents by name, their merged profiles, and the fallback agent."""

    def __init__(
        self,
        agents: Sequence[Agent],
        *,
        fallback: str,
        profiles: Mapping[str, AgentProfile] | None = None,
    ) -> None:
        names = [agent.info.name for agent in agents]
        if len(set(names)) != len(names):
            raise ConfigError("agents", f"agent names must be unique, got {names!r}")
        if fallback not in names:
            raise ConfigError("agents", f"fallback agent {fallback!r} is not registered")
        configured = profiles or {}
        unknown = sorted(set(configured) - set(names))
        if unknown:
            raise ConfigError("agents", f"no agent is registered for {unknown!r}")
        self._agents = {agent.info.name: agent for agent in agents}
        self._profiles = {
            name: _merge(agent.info, configured.get(name)) for name, agent in self._agents.items()
        }
        self.infos: tuple[AgentInfo, ...] = tuple(p.info for p in self._profiles.values())
        """Every agent's public info (configured fields applied), in registry order."""
        self.fallback = fallback

    def profile(self, name: str) -> AgentProfile:
        """The profile of agent ``name``, or the fallback agent's when there is none."""
        return self._profiles.get(name) or self._profiles[self.fallback]

    def agent(self, name: str) -> Agent:
        """The agent called ``name``, or the fallback agent."""
        return self._agents.get(name) or self._agents[self.fallback]


def usable_actions(profile: AgentProfile, actions: Sequence[ActionSpec]) -> tuple[ActionSpec, ...]:
    """The actions an agent may use: as listed in its profile, else those it owns; and those
    its scope grants (:func:`agents.actions.scopes.may_use`)."""
    listed = frozenset(profile.actions) if profile.actions is not None else None
    granted = frozenset(profile.granted)
    name = profile.info.name
    return tuple(
        a
        for a in actions
        if may_use(a, name, listed=listed, granted=granted, scopes=profile.scopes)
    )


def agent_scopes(profiles: Mapping[str, AgentProfile]) -> AgentScopes:
    """The configured agents' scopes, for the checks when a request is admitted and run."""
    return AgentScopes(
        listed={n: frozenset(p.actions) for n, p in profiles.items() if p.actions is not None},
        granted={n: frozenset(p.granted) for n, p in profiles.items() if p.granted},
        scopes={n: p.scopes for n, p in profiles.items() if p.scopes},
    )


def _merge(builtin: AgentInfo, profile: AgentProfile | None) -> AgentProfile:
    """A registered agent's profile: the config file's fields where given, else the built-in's."""
    if profile is None:
        return AgentProfile(info=builtin)
    configured = profile.info
    info = AgentInfo(
        name=builtin.name,
        description=configured.description or builtin.description,
        keywords=configured.keywords or builtin.keywords,
        examples=configured.examples or builtin.examples,
        channels=configured.channels or builtin.channels,
        owner=configured.owner or builtin.owner,
    )
    return replace(profile, info=info)
