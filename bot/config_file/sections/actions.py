"""The ``actions:`` section: what the bot may do, who may ask, who must approve and how it
runs; the rules across an action's fields; and its conversion to the domain's
:class:`ActionSpec`.

The rules run on :class:`ActionParts` (the fields of an action that are valid on their own),
so an action with a broken ``executor.http.retries`` still gets its formats, approval and
headers checked. Each rule yields every problem as ``(location, message)``, relative to the
action (``('params', 'env', 'default')``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from pydantic import Field, TypeAdapter

from agents.actions.spec import ActionSpec, ApprovalPolicy, Audience
from bot.config_file.sections.base import (
    ApproversModel,
    ChannelId,
    Duration,
    GroupHandle,
    Name,
    ParamName,
    Problem,
    Strict,
    UserId,
    duration_default,
    repeats,
)
from bot.config_file.sections.executors import (
    ExecutorModel,
    ExecutorParts,
    check_executor,
    to_executor_info,
)
from bot.config_file.sections.params import (
    ParamModel,
    check_defaults,
    to_param_spec,
    valid_params,
)
from bot.config_file.sections.result import ResultModel, to_result_format
from bot.config_file.sections.salvage import mapping, texts, valid, valid_model
from bot.config_file.templates import undeclared_placeholders
from bot.config_file.yamlsource import format_path

__all__ = [
    "ActionModel",
    "ActionParts",
    "ApprovalModel",
    "RequestersModel",
    "approval_problems",
    "approval_required",
    "check_actions",
    "to_action_spec",
    "to_approval_policy",
]

Risk = Literal["read", "write", "dangerous"]
_RISK: TypeAdapter[Risk] = TypeAdapter(Risk)


class RequestersModel(Strict):
    """Who may ask for the action; all empty means anyone."""

    users: list[UserId] = []
    groups: list[GroupHandle] = []
    channels: list[ChannelId] = []


class ApprovalModel(Strict):
    """Approval policy. ``required`` defaults to true once an approval block is written."""

    required: bool | None = None
    approvers: ApproversModel = ApproversModel()
    quorum: int = Field(1, ge=1, description="distinct approvals needed")
    self_approval: bool = Field(False, description="may the requester approve (never if dangerous)")
    expires_after: Duration = duration_default("1h")
    escalation_channel: ChannelId | None = None


class ActionModel(Strict):
    """One action: what it takes, who may run and approve it, and how it runs."""

    name: Name
    agent: Name
    description: str = Field(min_length=1)
    risk: Risk
    params: dict[ParamName, ParamModel] = {}
    formats: list[str] = Field([], description='command formats, e.g. "deploy {service} to {env}"')
    requesters: RequestersModel = RequestersModel()
    approval: ApprovalModel | None = None
    executor: ExecutorModel
    result: ResultModel | None = Field(
        None, description="how the result is shown in the thread and given to a model"
    )


# --- to the domain -------------------------------------------------------------------------


def approval_required(action: ActionModel) -> bool:
    """Whether approval is needed: as written, else yes once an approval block exists, else
    only for ``write`` and ``dangerous``."""
    if action.approval is None:
        return action.risk != "read"
    return action.approval.required if action.approval.required is not None else True


def to_approval_policy(model: ApprovalModel | None, *, risk: Risk) -> ApprovalPolicy:
    """The domain's policy for an approval block (or none) on an action of ``risk``."""
    if model is None:
        return ApprovalPolicy(required=risk != "read")
    required = model.required if model.required is not None else True
    return _policy(model, required=required)


def to_action_spec(action: ActionModel) -> ActionSpec:
    """The domain's :class:`ActionSpec` for a validated (and cross-checked) action."""
    return ActionSpec(
        name=action.name,
        agent=action.agent,
        description=action.description,
        risk=action.risk,
        executor=to_executor_info(action.executor),
        params=tuple(to_param_spec(name, param) for name, param in action.params.items()),
        formats=tuple(action.formats),
        requesters=Audience(
            users=frozenset(action.requesters.users),
            groups=frozenset(action.requesters.groups),
            channels=frozenset(action.requesters.channels),
        ),
        approval=_policy(action.approval, required=approval_required(action)),
        result=to_result_format(action.result),
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


# --- the rules across fields ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ActionParts:
    """The parts of one action that are valid on their own (``None``: missing or invalid).

    Attributes:
        param_names: every declared parameter name, valid declaration or not, so that a
            placeholder naming a broken parameter is not also reported as undeclared.
        has_approval: whether an ``approval`` block was written at all.
    """

    risk: Risk | None
    param_names: frozenset[str]
    params: Mapping[str, ParamModel]
    formats: Sequence[tuple[int, str]]
    has_approval: bool
    approval: ApprovalModel | None
    executor: ExecutorParts

    @classmethod
    def of(cls, action: ActionModel) -> ActionParts:
        """The parts of a fully valid action."""
        return cls(
            risk=action.risk,
            param_names=frozenset(action.params),
            params=action.params,
            formats=list(enumerate(action.formats)),
            has_approval=action.approval is not None,
            approval=action.approval,
            executor=ExecutorParts.of(action.executor),
        )

    @classmethod
    def salvage(cls, raw: object) -> ActionParts:
        """The valid parts of an action that failed validation as a whole."""
        data = mapping(raw)
        return cls(
            risk=valid(_RISK, data.get("risk")),
            param_names=frozenset(str(name) for name in mapping(data.get("params"))),
            params=valid_params(data.get("params")),
            formats=texts(data.get("formats")),
            has_approval=data.get("approval") is not None,
            approval=valid_model(ApprovalModel, data.get("approval")),
            executor=ExecutorParts.salvage(data.get("executor")),
        )


def check_actions(actions: Sequence[ActionModel] | None, raw: object) -> Iterator[Problem]:
    """Every problem across the fields of each action, then repeated names (absolute
    locations).

    Args:
        actions: the validated actions, or ``None`` when the file failed validation; then the
            valid parts of each action in ``raw`` (the ``actions:`` data) are checked instead.
    """
    if actions is not None:
        parts = [ActionParts.of(action) for action in actions]
        names = [(index, action.name) for index, action in enumerate(actions)]
    else:
        items = raw if isinstance(raw, list) else []
        parts = [ActionParts.salvage(item) for item in items]
        names = [
            (index, item["name"])
            for index, item in enumerate(items)
            if isinstance(item, dict) and isinstance(item.get("name"), str)
        ]
    for index, action in enumerate(parts):
        for loc, message in _check_action(action):
            yield ("actions", index, *loc), message
    for index, name, first in repeats(names):
        where = format_path(("actions", first))
        yield ("actions", index, "name"), f"duplicate action name {name!r} (see {where})"


def _check_action(parts: ActionParts) -> Iterator[Problem]:
    declared = parts.param_names
    for index, template in parts.formats:
        for message in undeclared_placeholders(template, declared):
            yield ("formats", index), message
    yield from check_defaults(parts.params)
    yield from _approval(parts)
    yield from check_executor(parts.executor, declared)


def _approval(parts: ActionParts) -> Iterator[Problem]:
    yield from approval_problems(parts.risk, parts.approval, has_approval=parts.has_approval)


def approval_problems(
    risk: Risk | None, policy: ApprovalModel | None, *, has_approval: bool
) -> Iterator[Problem]:
    """What is wrong with an approval block for an action of ``risk`` (locations relative to
    the action); ``has_approval``: whether a block was written at all."""
    if not has_approval:
        if risk == "write":
            yield ("approval",), "write actions need approvers (or approval: {required: false})"
        elif risk == "dangerous":
            yield ("approval",), "dangerous actions need an approval block with approvers"
        return
    if policy is None:
        return
    if risk == "dangerous" and policy.required is False:
        yield ("approval", "required"), "dangerous actions always need approval"
    if risk == "dangerous" and policy.self_approval:
        yield ("approval", "self_approval"), "must be false for dangerous actions"
    approvers = policy.approvers
    if policy.required is not False or risk == "dangerous":
        if not (approvers.users or approvers.groups):
            yield ("approval", "approvers"), "name at least one approver user or group"
        elif not approvers.groups and policy.quorum > len(set(approvers.users)):
            yield (
                ("approval", "quorum"),
                f"quorum {policy.quorum} needs at least {policy.quorum} approvers, but only "
                f"{len(set(approvers.users))} users and no groups are named",
            )
