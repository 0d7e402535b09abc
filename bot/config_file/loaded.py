"""The domain's view of a valid config file (:class:`LoadedConfig`), apart from the pydantic
models that read one: a bot without a config file runs on the defaults and never imports
those models (about 2 MiB; issue 19).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Literal

from agents.actions.spec import ActionSpec
from agents.feedback.alerts import AlertSettings
from agents.feedback.values import ReviewSettings
from agents.incidents.rotation import IncidentSettings, Rotation
from agents.memory.knowledge import KnowledgeSettings
from agents.memory.retention import Retention
from agents.turns.profiles import PlanningSettings

if TYPE_CHECKING:
    from bot.config_file.sections.executors import ExecutorConfig
    from bot.config_file.sections.incidents import TicketSettings
    from bot.config_file.sections.mcp import McpServerModel
    from bot.config_file.sections.pagerduty import PagerDutySettings
    from bot.config_file.sections.providers import ProviderModel

__all__ = ["PAGE_ACTIONS", "EventAction", "LoadedConfig"]

EventAction = Literal["trigger", "acknowledge", "resolve"]
PAGE_ACTIONS: Mapping[EventAction, str] = {
    "trigger": "pagerduty_trigger",
    "acknowledge": "pagerduty_acknowledge",
    "resolve": "pagerduty_resolve",
}
"""The action each PagerDuty event is sent by (the ``pagerduty`` section declares them)."""


@dataclass(frozen=True, slots=True)
class LoadedConfig:
    """A valid config file.

    Attributes:
        actions: the domain's view of every action, in file order.
        executors: the executor configuration of each action, by action name.
        source: where it was read from, for messages.
        planning: agent profiles, prices, budgets and router settings.
        providers: the LLM providers (built into clients at start, with their secrets).
        rotations: the on-call rotations.
        incident_settings: how incidents are declared and reminded.
        incident_tickets: where follow-ups become tickets (None: nowhere).
        retention: days each memory tier is kept (None: forever).
        read_cache_ttl: how long a read-only action's result answers again (None: never).
        knowledge: how the knowledge agent cites and when it reports a miss.
        review: who reviews answers, and the App Home's window and queue size.
        alerts: where alerts go and when they fire.
        mcp_servers: the MCP servers whose tools become actions once listed at start-up
            (:func:`bot.integrations.mcp.discover_mcp_tools`).
        mcp_scopes: each agent's ``mcp`` scope entries, granted as actions once the servers
            listed their tools (:func:`bot.integrations.mcp.scopes.grant_scopes`).
        pagerduty: how to reach PagerDuty (None: not configured); its paging actions are
            among ``actions``.
    """

    actions: tuple[ActionSpec, ...]
    executors: Mapping[str, ExecutorConfig]
    source: str = field(default="<config>", compare=False)
    planning: PlanningSettings = field(default_factory=PlanningSettings)
    providers: tuple[ProviderModel, ...] = ()
    rotations: tuple[Rotation, ...] = ()
    incident_settings: IncidentSettings = field(default_factory=IncidentSettings)
    incident_tickets: TicketSettings | None = None
    retention: Retention = field(default_factory=lambda: Retention(None, None))
    read_cache_ttl: timedelta | None = timedelta(seconds=15)
    knowledge: KnowledgeSettings = field(default_factory=KnowledgeSettings)
    review: ReviewSettings = field(default_factory=ReviewSettings)
    alerts: AlertSettings = field(default_factory=AlertSettings)
    mcp_servers: tuple[McpServerModel, ...] = ()
    pagerduty: PagerDutySettings | None = None
    mcp_scopes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def action(self, name: str) -> ActionSpec | None:
        """The action called ``name``, if declared."""
        return next((a for a in self.actions if a.name == name), None)
