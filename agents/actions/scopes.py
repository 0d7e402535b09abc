"""Which agent may use which action: the one rule, used where a model is offered tools, where
a request is admitted, and again right before a run.

An agent may use the actions it owns (``ActionSpec.agent``), or, when its profile lists
actions, exactly those; plus every action granted to it by scope (an MCP tool its config
names: ``mcp: [ops, "github:create_issue", "grafana:*"]``, resolved to action names once the
servers listed their tools). An action with no owner (an MCP server without ``agent``) is
reachable only through the agents whose scope grants it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from agents.actions.spec import ActionSpec

__all__ = ["AgentScopes", "may_use"]


def may_use(
    action: ActionSpec,
    agent: str,
    *,
    listed: frozenset[str] | None = None,
    granted: frozenset[str] = frozenset(),
) -> bool:
    """Whether ``agent`` may use ``action``.

    Args:
        listed: the action names its profile lists (None: those it owns).
        granted: the action names its scope grants (MCP tools by server and pattern).
    """
    if action.name in granted:
        return True
    if listed is not None:
        return action.name in listed
    return bool(action.agent) and action.agent == agent


@dataclass(frozen=True, slots=True)
class AgentScopes:
    """Every agent's listed and granted actions (agents with neither use what they own)."""

    listed: Mapping[str, frozenset[str]] = field(default_factory=dict)
    granted: Mapping[str, frozenset[str]] = field(default_factory=dict)

    def allows(self, agent: str, action: ActionSpec) -> bool:
        """Whether ``agent`` may use ``action`` (see :func:`may_use`)."""
        return may_use(
            action,
            agent,
            listed=self.listed.get(agent),
            granted=self.granted.get(agent, frozenset()),
        )
