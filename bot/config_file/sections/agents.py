"""The ``agents:`` section: each agent's scope, prompt, model and budgets; the rules relating
agents to actions, providers and channels; and the domain's :class:`AgentProfile` values."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence, Set
from datetime import timedelta
from typing import Annotated

from pydantic import Field, StringConstraints, field_validator

from agents.actions.scopes import split_scope
from agents.kernel.models import AgentInfo
from agents.turns.profiles import AgentProfile, ModelSettings
from bot.config_file.sections.actions import ActionModel
from bot.config_file.sections.base import (
    ChannelId,
    Duration,
    McpScope,
    Name,
    Problem,
    Strict,
    Usd,
    duration_default,
)
from bot.config_file.sections.budgets import usd_micros

__all__ = [
    "AgentModel",
    "ModelSettingsModel",
    "check_agents",
    "check_mcp_scopes",
    "split_scope",
    "to_mcp_scopes",
    "to_profiles",
]


_MAX_TOOL_WAIT = timedelta(seconds=60)


class ModelSettingsModel(Strict):
    """How an agent uses an LLM. Without this block the agent uses the rules planner only."""

    providers: list[Name] = Field(min_length=1, description="tried in order, then rules")
    model: str = Field(min_length=1)
    temperature: float = Field(0.0, ge=0, le=2)
    max_tokens: int = Field(1024, ge=16, le=32768)
    max_steps: int = Field(4, ge=1, le=10, description="model calls per turn")
    max_tool_calls: int = Field(3, ge=1, le=10, description="tool calls per turn")
    tool_wait: Duration = duration_default(
        "10s", description="how long a turn waits for a read's result (at most 60s)"
    )

    @field_validator("tool_wait")
    @classmethod
    def _tool_wait_bound(cls, value: timedelta) -> timedelta:
        if value > _MAX_TOOL_WAIT:
            raise ValueError("must be at most 60s (a turn holds its thread while it waits)")
        return value


class AgentModel(Strict):
    """A domain agent. Built-in names (deploy, incident, oncall, help) extend the built-in;
    any other name declares an agent that answers with its actions."""

    name: Name
    description: str = ""
    owner: str = ""
    channels: list[ChannelId] = Field([], description="channels bound to this agent")
    keywords: list[Annotated[str, StringConstraints(min_length=1)]] = []
    examples: list[Annotated[str, StringConstraints(min_length=1)]] = []
    actions: list[Name] | None = Field(
        None, description="actions it may use (default: those whose agent is this one)"
    )
    mcp: list[McpScope] = Field(
        [],
        description='MCP tools it may use besides those it owns: "SERVER" (all its exposed '
        'tools) or "SERVER:TOOL" (a name or a glob pattern, e.g. "grafana:*")',
    )
    system_prompt: str = ""
    model: ModelSettingsModel | None = None
    context_budget: int = Field(4000, ge=256, description="tokens of thread context")
    daily_budget_usd: Usd | None = None


def to_profiles(agents: Sequence[AgentModel]) -> dict[str, AgentProfile]:
    """The domain's profile of each declared agent, by name."""
    return {agent.name: _profile(agent) for agent in agents}


def _profile(agent: AgentModel) -> AgentProfile:
    model = agent.model
    return AgentProfile(
        info=AgentInfo(
            name=agent.name,
            description=agent.description,
            keywords=tuple(agent.keywords),
            examples=tuple(agent.examples),
            channels=tuple(agent.channels),
            owner=agent.owner,
        ),
        actions=tuple(agent.actions) if agent.actions is not None else None,
        scopes=tuple(agent.mcp),
        system_prompt=agent.system_prompt,
        model=(
            ModelSettings(
                providers=tuple(model.providers),
                model=model.model,
                temperature=model.temperature,
                max_tokens=model.max_tokens,
                max_steps=model.max_steps,
                max_tool_calls=model.max_tool_calls,
                tool_wait=model.tool_wait.total_seconds(),
            )
            if model is not None
            else None
        ),
        context_budget=agent.context_budget,
        daily_budget_micros=usd_micros(agent.daily_budget_usd),
    )


def to_mcp_scopes(agents: Sequence[AgentModel]) -> Mapping[str, tuple[str, ...]]:
    """Each agent's ``mcp`` scope entries (agents without any are left out)."""
    return {agent.name: tuple(agent.mcp) for agent in agents if agent.mcp}


def check_mcp_scopes(agents: Sequence[AgentModel], *, servers: Set[str]) -> Iterator[Problem]:
    """Every ``mcp`` scope entry names a configured server (absolute locations). Whether a
    pattern matches a tool is known once the servers listed them (``config check`` warns)."""
    for index, agent in enumerate(agents):
        for position, entry in enumerate(agent.mcp):
            server, _ = split_scope(entry)
            if server not in servers:
                known = ", ".join(sorted(servers)) or "none configured"
                yield (
                    ("agents", index, "mcp", position),
                    f"unknown MCP server {server!r} (servers: {known})",
                )


def check_agents(
    agents: Sequence[AgentModel],
    *,
    actions: Sequence[ActionModel],
    providers: Set[str],
    builtin: frozenset[str],
) -> Iterator[Problem]:
    """Every problem relating agents to actions, providers and channels (absolute locations).

    Args:
        providers: the names of the declared providers.
        builtin: the names of the built-in agents (valid owners of actions without a block).
    """
    known_agents = builtin | {agent.name for agent in agents}
    for index, action in enumerate(actions):
        if action.agent not in known_agents:
            yield (
                ("actions", index, "agent"),
                f"unknown agent {action.agent!r}; declare it under agents "
                f"or use one of {', '.join(sorted(known_agents))}",
            )
    action_names = {action.name for action in actions}
    bound: dict[str, str] = {}
    for index, agent in enumerate(agents):
        yield from _references(index, agent, action_names, providers, bound)


def _references(
    index: int,
    agent: AgentModel,
    actions: Set[str],
    providers: Set[str],
    bound: dict[str, str],
) -> Iterator[Problem]:
    """The actions, channels and providers one agent names (``bound``: channel -> agent,
    filled in as agents are read, so the first binding wins)."""
    for position, name in enumerate(agent.actions or ()):
        if name not in actions:
            yield ("agents", index, "actions", position), f"unknown action {name!r}"
    for position, channel in enumerate(agent.channels):
        other = bound.setdefault(channel, agent.name)
        if other != agent.name:
            yield (
                ("agents", index, "channels", position),
                f"channel {channel} is already bound to agent {other!r}",
            )
    if agent.model is not None:
        for position, name in enumerate(agent.model.providers):
            if name not in providers:
                yield (
                    ("agents", index, "model", "providers", position),
                    f"unknown provider {name!r}",
                )
