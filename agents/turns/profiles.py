"""How each agent plans: its scope, prompt, model settings and budgets; the router's settings.

Built from the config file at the edge; the turn's steps and planners read them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from agents.kernel.models import AgentInfo
from agents.llm.budgets import Budgets, Price

__all__ = ["AgentProfile", "ModelSettings", "PlanningSettings", "RouterSettings"]


@dataclass(frozen=True, slots=True)
class ModelSettings:
    """An agent's LLM: the providers tried in order (then the rules planner), and its caps.

    Attributes:
        tool_wait: seconds a turn waits for a read's result before it tells the model the
            read did not finish in time (the read goes on and posts its result itself).
    """

    providers: tuple[str, ...]
    model: str
    temperature: float = 0.0
    max_tokens: int = 1024
    max_steps: int = 4
    max_tool_calls: int = 3
    tool_wait: float = 10.0


@dataclass(frozen=True, slots=True)
class AgentProfile:
    """One agent as configured.

    Attributes:
        actions: the action names it may use; ``None`` means those whose ``agent`` is it.
        granted: the action names its scope grants besides (MCP tools its config names by
            server and pattern, as listed at start-up: what ``config check`` reports).
        scopes: its ``mcp`` scope entries, matched against each MCP tool when it is used
            (:func:`agents.actions.scopes.may_use`), tools added while running included.
        context_budget: tokens of thread context sent to its model.
        daily_budget_micros: its LLM spend limit per UTC day, if any.
    """

    info: AgentInfo
    actions: tuple[str, ...] | None = None
    granted: tuple[str, ...] = ()
    scopes: tuple[str, ...] = ()
    system_prompt: str = ""
    model: ModelSettings | None = None
    context_budget: int = 4000
    daily_budget_micros: int | None = None


@dataclass(frozen=True, slots=True)
class RouterSettings:
    """Below ``threshold`` the person is asked which agent they meant (or the classifier is)."""

    threshold: float = 0.5
    classifier_provider: str | None = None
    classifier_model: str | None = None


@dataclass(frozen=True, slots=True)
class PlanningSettings:
    """Everything planning reads from the config file."""

    profiles: Mapping[str, AgentProfile] = field(default_factory=dict)
    prices: Mapping[tuple[str, str], Price] = field(default_factory=dict)
    budgets: Budgets = field(default_factory=Budgets)
    router: RouterSettings = field(default_factory=RouterSettings)
