"""From validated pydantic models to the domain's frozen values."""

from __future__ import annotations

from urllib.parse import urlsplit

from agents.core.actions import ActionSpec, ApprovalPolicy, Audience, ExecutorInfo, ParamSpec
from bot.config_file.models import (
    ActionModel,
    ApprovalModel,
    EnumParam,
    ExecutorConfig,
    HttpExecutorConfig,
    IntParam,
    ParamModel,
    PythonExecutorConfig,
    StrParam,
)

__all__ = ["approval_required", "executor_target", "to_action_spec", "to_param_spec"]

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
