"""From validated pydantic models to the domain's frozen values."""

from __future__ import annotations

from types import MappingProxyType
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from agents.actions.spec import ActionSpec, ApprovalPolicy, Audience, ExecutorInfo, ParamSpec
from agents.kernel.models import AgentInfo
from agents.llm.budgets import Budgets, Price
from agents.llm.usage import micros
from agents.turns.profiles import AgentProfile, ModelSettings, PlanningSettings, RouterSettings
from bot.config_file.models import (
    ActionModel,
    AgentModel,
    ApprovalModel,
    EnumParam,
    ExecutorConfig,
    HttpExecutorConfig,
    IntParam,
    ParamModel,
    PythonExecutorConfig,
    StrParam,
)

if TYPE_CHECKING:
    from bot.config_file.document import ConfigDocument

__all__ = [
    "approval_required",
    "executor_target",
    "to_action_spec",
    "to_param_spec",
    "to_planning",
]

_DEFAULT_PORTS = {"http": 80, "https": 443}


def to_param_spec(name: str, model: ParamModel) -> ParamSpec:
    """The domain's description of one parameter."""
    return ParamSpec(
        name=name,
        kind=model.type,
        description=model.description,
        required=model.required,
        default=model.default,
        pattern=model.pattern if isinstance(model, StrParam) else None,
        minimum=model.min if isinstance(model, IntParam) else None,
        maximum=model.max if isinstance(model, IntParam) else None,
        choices=tuple(model.choices) if isinstance(model, EnumParam) else (),
    )


def approval_required(action: ActionModel) -> bool:
    """Whether approval is needed: as written, else yes once an approval block exists, else
    only for ``write`` and ``dangerous``."""
    if action.approval is None:
        return action.risk != "read"
    return action.approval.required if action.approval.required is not None else True


def executor_target(config: ExecutorConfig) -> str:
    """The system an executor reaches (one circuit breaker each): ``host:port`` for http,
    the executable for shell, the module for python."""
    if isinstance(config, HttpExecutorConfig):
        parts = urlsplit(config.url)
        port = parts.port or _DEFAULT_PORTS.get(parts.scheme, 0)
        return f"{parts.hostname}:{port}"
    if isinstance(config, PythonExecutorConfig):
        return config.entrypoint.partition(":")[0]
    return config.argv[0]


def to_action_spec(action: ActionModel) -> ActionSpec:
    """The domain's :class:`ActionSpec` for a validated (and cross-checked) action."""
    config = action.executor.config
    return ActionSpec(
        name=action.name,
        agent=action.agent,
        description=action.description,
        risk=action.risk,
        executor=ExecutorInfo(
            kind="http" if action.executor.http else "shell" if action.executor.shell else "python",
            target=executor_target(config),
            idempotent=config.idempotent,
        ),
        params=tuple(to_param_spec(name, param) for name, param in action.params.items()),
        formats=tuple(action.formats),
        requesters=Audience(
            users=frozenset(action.requesters.users),
            groups=frozenset(action.requesters.groups),
            channels=frozenset(action.requesters.channels),
        ),
        approval=_policy(action.approval, required=approval_required(action)),
    )


def _policy(model: ApprovalModel | None, *, required: bool) -> ApprovalPolicy:
    if model is None:
        return ApprovalPolicy(required=required)
    return ApprovalPolicy(
        required=required,
        approvers=Audience(
            users=frozenset(model.approvers.users), groups=frozenset(model.approvers.groups)
        ),
        quorum=model.quorum,
        allow_self_approval=model.self_approval,
        expires_after=model.expires_after,
        escalation_channel=model.escalation_channel,
    )


def to_planning(document: ConfigDocument) -> PlanningSettings:
    """Agent profiles, prices, budgets and router settings from the whole document."""
    profiles = {agent.name: _profile(agent) for agent in document.agents}
    prices = {
        (provider.name, model): Price(price.input, price.output)
        for provider in document.providers
        for model, price in provider.prices.items()
    }
    budgets = document.budgets
    rate = budgets.rate_limit
    classifier = document.router.classifier
    return PlanningSettings(
        profiles=MappingProxyType(profiles),
        prices=MappingProxyType(prices),
        budgets=Budgets(
            per_user_daily_micros=_micros(budgets.per_user_daily_usd),
            per_channel_daily_micros=_micros(budgets.per_channel_daily_usd),
            rate_capacity=rate.turns if rate else None,
            rate_refill_per_second=rate.turns / rate.per.total_seconds() if rate else 0.0,
        ),
        router=RouterSettings(
            threshold=document.router.threshold,
            classifier_provider=classifier.provider if classifier else None,
            classifier_model=classifier.model if classifier else None,
        ),
    )


def _micros(usd: float | None) -> int | None:
    return None if usd is None else micros(usd)


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
        system_prompt=agent.system_prompt,
        model=(
            ModelSettings(
                providers=tuple(model.providers),
                model=model.model,
                temperature=model.temperature,
                max_tokens=model.max_tokens,
                max_steps=model.max_steps,
                max_tool_calls=model.max_tool_calls,
            )
            if model is not None
            else None
        ),
        context_budget=agent.context_budget,
        daily_budget_micros=_micros(agent.daily_budget_usd),
    )
