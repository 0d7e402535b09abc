"""The whole config file: every section composed into one pydantic model, the rules across
sections, and the domain's view of a valid file (:class:`LoadedConfig`).

Each section's shape, rules and conversion live in its own module under
:mod:`bot.config_file.sections`; this module only puts them together.
"""

from __future__ import annotations

from collections.abc import Iterator
from types import MappingProxyType
from typing import Literal

from pydantic import ConfigDict

from agents.turns.profiles import PlanningSettings
from bot.config_file.loaded import LoadedConfig
from bot.config_file.sections.actions import ActionModel, check_actions, to_action_spec
from bot.config_file.sections.agents import (
    AgentModel,
    check_agents,
    check_mcp_scopes,
    to_mcp_scopes,
    to_profiles,
)
from bot.config_file.sections.alerts import AlertsModel, to_alert_settings
from bot.config_file.sections.base import Problem, Strict, duplicate_names
from bot.config_file.sections.budgets import BudgetsModel, to_budgets
from bot.config_file.sections.executors import ExecutorConfig
from bot.config_file.sections.incidents import (
    IncidentsModel,
    check_incidents,
    to_incident_settings,
    to_ticket_settings,
)
from bot.config_file.sections.knowledge import KnowledgeModel, to_knowledge_settings
from bot.config_file.sections.mcp import McpModel, check_mcp
from bot.config_file.sections.memory import MemoryModel, check_memory, to_retention
from bot.config_file.sections.oncall import OncallModel, check_oncall, to_rotations
from bot.config_file.sections.pagerduty import (
    PAGE_ACTIONS,
    PagerDutyModel,
    check_pagerduty,
    to_pagerduty,
)
from bot.config_file.sections.providers import ProviderModel, to_prices
from bot.config_file.sections.review import ReviewModel, to_review_settings
from bot.config_file.sections.router import RouterModel, check_router, to_router_settings

__all__ = ["ConfigDocument", "LoadedConfig", "check_document", "to_loaded_config"]


class ConfigDocument(Strict):
    """A Switchboard config file (``SWITCHBOARD_CONFIG``)."""

    model_config = ConfigDict(title="Switchboard config")

    version: Literal[1]
    actions: list[ActionModel] = []
    agents: list[AgentModel] = []
    providers: list[ProviderModel] = []
    router: RouterModel = RouterModel()
    budgets: BudgetsModel = BudgetsModel()
    oncall: OncallModel = OncallModel()
    incidents: IncidentsModel = IncidentsModel()
    memory: MemoryModel = MemoryModel()
    knowledge: KnowledgeModel = KnowledgeModel()
    review: ReviewModel = ReviewModel()
    alerts: AlertsModel = AlertsModel()
    mcp: McpModel = McpModel()
    pagerduty: PagerDutyModel = PagerDutyModel()


def check_document(
    document: ConfigDocument | None, data: object, *, builtin: frozenset[str]
) -> Iterator[Problem]:
    """Every rule beyond one field's shape, with absolute locations.

    Args:
        document: the validated file, or ``None`` when it failed validation; then only the
            actions' own rules run, on the valid parts of each action in ``data``.
        data: the file's plain data, as YAML built it.
        builtin: the names of the built-in agents (valid owners of actions without a block).
    """
    raw_actions = data.get("actions") if isinstance(data, dict) else None
    yield from check_actions(document.actions if document else None, raw_actions)
    if document is None:
        return
    providers = {provider.name for provider in document.providers}
    yield from duplicate_names("agents", (a.name for a in document.agents), noun="agent")
    yield from duplicate_names("providers", (p.name for p in document.providers), noun="provider")
    yield from check_agents(
        document.agents, actions=document.actions, providers=providers, builtin=builtin
    )
    yield from check_router(document.router, providers=providers)
    yield from check_oncall(document.oncall)
    rotations = {rotation.name for rotation in document.oncall.rotations}
    yield from check_incidents(document.incidents, rotations=rotations)
    yield from check_memory(document.memory, review_window_days=document.review.window_days)
    agents = builtin | {a.name for a in document.agents}
    yield from check_mcp(document.mcp, agents=agents)
    yield from check_mcp_scopes(document.agents, servers={s.name for s in document.mcp.servers})
    yield from check_pagerduty(document.pagerduty, agents=agents)
    if any(s.routing_key_env for s in document.pagerduty.services.values()):
        for index, action in enumerate(document.actions):
            if action.name in PAGE_ACTIONS.values():
                yield ("actions", index, "name"), f"{action.name!r} is the pagerduty section's"


def to_loaded_config(document: ConfigDocument, *, source: str) -> LoadedConfig:
    """The domain's view of a valid (and cross-checked) file."""
    pagerduty, paging, pagers = to_pagerduty(document.pagerduty)
    executors: dict[str, ExecutorConfig] = {a.name: a.executor.config for a in document.actions}
    return LoadedConfig(
        actions=(*(to_action_spec(action) for action in document.actions), *paging),
        executors=MappingProxyType({**executors, **pagers}),
        source=source,
        planning=PlanningSettings(
            profiles=MappingProxyType(to_profiles(document.agents)),
            prices=MappingProxyType(to_prices(document.providers)),
            budgets=to_budgets(document.budgets),
            router=to_router_settings(document.router),
        ),
        providers=tuple(document.providers),
        rotations=to_rotations(document.oncall),
        incident_settings=to_incident_settings(document.incidents),
        incident_tickets=to_ticket_settings(document.incidents),
        retention=to_retention(document.memory),
        read_cache_ttl=document.memory.read_cache_ttl,
        knowledge=to_knowledge_settings(document.knowledge),
        review=to_review_settings(document.review),
        alerts=to_alert_settings(document.alerts),
        mcp_servers=tuple(document.mcp.servers),
        pagerduty=pagerduty,
        mcp_scopes=MappingProxyType(dict(to_mcp_scopes(document.agents))),
    )
