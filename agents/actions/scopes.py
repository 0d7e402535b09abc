"""Which agent may use which action: the one rule, used where a model is offered tools, where
a request is admitted, and again right before a run.

An agent may use the actions it owns (``ActionSpec.agent``), or, when its profile lists
actions, exactly those; plus every MCP tool its scope covers (its config's entries: ``mcp:
[ops, "github:create_issue", "grafana:*"]``, matched against the tool's server and name each
time the rule is asked, so a tool a server adds while the bot runs is covered at once) and any
action granted to it by name. An action with no owner (an MCP server without ``agent``) is
reachable only through the agents whose scope covers it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase

from agents.actions.spec import ActionSpec

__all__ = ["AgentScopes", "covers", "may_use", "split_scope"]


def split_scope(entry: str) -> tuple[str, str]:
    """``(server, tool pattern)`` of one ``mcp`` scope entry (a bare server: every tool)."""
    server, _, tool = entry.partition(":")
    return server, tool or "*"


def covers(entries: Sequence[str], action: ActionSpec) -> bool:
    """Whether one of the scope ``entries`` names ``action``'s MCP server and tool."""
    executor = action.executor
    if executor.kind != "mcp" or not executor.tool:
        return False
    server = executor.target.removeprefix("mcp:")
    for entry in entries:
        named, pattern = split_scope(entry)
        if named == server and fnmatchcase(executor.tool, pattern):
            return True
    return False


def may_use(
    action: ActionSpec,
    agent: str,
    *,
    listed: frozenset[str] | None = None,
    granted: frozenset[str] = frozenset(),
    scopes: Sequence[str] = (),
) -> bool:
    """Whether ``agent`` may use ``action``.

    Args:
        listed: the action names its profile lists (None: those it owns).
        granted: action names granted besides, by name.
        scopes: its ``mcp`` scope entries (``SERVER`` or ``SERVER:TOOL-GLOB``).
    """
    if action.name in granted or covers(scopes, action):
        return True
    if listed is not None:
        return action.name in listed
    return bool(action.agent) and action.agent == agent


@dataclass(frozen=True, slots=True)
class AgentScopes:
    """Every agent's listed and granted actions and scope entries (agents with none of them
    use what they own)."""

    listed: Mapping[str, frozenset[str]] = field(default_factory=dict)
    granted: Mapping[str, frozenset[str]] = field(default_factory=dict)
    scopes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def allows(self, agent: str, action: ActionSpec) -> bool:
        """Whether ``agent`` may use ``action`` (see :func:`may_use`)."""
        return may_use(
            action,
            agent,
            listed=self.listed.get(agent),
            granted=self.granted.get(agent, frozenset()),
            scopes=self.scopes.get(agent, ()),
        )
