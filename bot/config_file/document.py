"""The whole config file: every section, as one pydantic model."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from bot.config_file.models import (
    ActionModel,
    AgentModel,
    BudgetsModel,
    KnowledgeModel,
    MemoryModel,
    ProviderModel,
    RouterModel,
)
from bot.config_file.ops_models import AlertsModel, IncidentsModel, OncallModel, ReviewModel

__all__ = ["ConfigDocument"]


class ConfigDocument(BaseModel):
    """A Switchboard config file (``SWITCHBOARD_CONFIG``)."""

    model_config = ConfigDict(title="Switchboard config", extra="forbid", frozen=True, strict=True)

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
