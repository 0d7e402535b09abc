"""Rules across the agents, providers, router and actions sections of the config file."""

from __future__ import annotations

from collections.abc import Iterator

from bot.config_file.checks import Problem
from bot.config_file.document import ConfigDocument

__all__ = ["check_agents"]


def check_agents(document: ConfigDocument, *, builtin: frozenset[str]) -> Iterator[Problem]:
    """Every problem relating agents to actions, providers and channels (absolute locations).

    Args:
        builtin: the names of the built-in agents (valid owners of actions without a block).
    """
    agent_names: dict[str, int] = {}
    for index, agent in enumerate(document.agents):
        if agent.name in agent_names:
            yield ("agents", index, "name"), f"duplicate agent name {agent.name!r}"
        agent_names.setdefault(agent.name, index)
    known_agents = builtin | agent_names.keys()
    providers: dict[str, int] = {}
    for index, provider in enumerate(document.providers):
        if provider.name in providers:
            yield ("providers", index, "name"), f"duplicate provider name {provider.name!r}"
        providers.setdefault(provider.name, index)
    actions = {action.name: action for action in document.actions}
    for index, action in enumerate(document.actions):
        if action.agent not in known_agents:
            yield (
                ("actions", index, "agent"),
                f"unknown agent {action.agent!r}; declare it under agents "
                f"or use one of {', '.join(sorted(known_agents))}",
            )
    bound: dict[str, str] = {}
    for index, agent in enumerate(document.agents):
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
                        (f"unknown provider {name!r}"),
                    )
    classifier = document.router.classifier
    if classifier is not None and classifier.provider not in providers:
        yield ("router", "classifier", "provider"), f"unknown provider {classifier.provider!r}"
