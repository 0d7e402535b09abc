"""The ``pagerduty:`` section: PagerDuty services by name, on-call from PagerDuty, and the three
paging actions it declares (``pagerduty_trigger``, ``pagerduty_acknowledge``,
``pagerduty_resolve``), each an ordinary action under the approval policy written here.

Secrets never appear in the file: the REST token is ``PAGERDUTY_API_TOKEN`` (settings), and
each service names the environment variable that holds its Events API v2 routing key.
Triggering needs approval by default (``approval`` must name approvers, or say
``required: false``); acknowledge and resolve follow ``approval`` unless they have their own.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated

from pydantic import Field, StringConstraints

from agents.actions.presentation import ResultFormat
from agents.actions.spec import ActionSpec, ExecutorInfo, ParamSpec
from bot.config_file.loaded import PAGE_ACTIONS, EventAction
from bot.config_file.sections.actions import (
    ApprovalModel,
    approval_problems,
    to_approval_policy,
)
from bot.config_file.sections.base import (
    Duration,
    EnvName,
    Name,
    Problem,
    Strict,
    duration_default,
)
from bot.config_file.sections.executors import PagerDutyExecutorConfig

__all__ = [
    "PAGE_ACTIONS",
    "PagerDutyModel",
    "PagerDutyServiceModel",
    "PagerDutySettings",
    "PagerDutyWebhooksModel",
    "check_pagerduty",
    "to_pagerduty",
]

_URL = r"^https?://[^\s/?#]+(/[^\s?#]*)?$"
HttpUrlText = Annotated[str, StringConstraints(pattern=_URL)]
_DEDUP = r"[A-Za-z0-9._:-]{1,255}"
_RESULT = ResultFormat(
    fields=(("Event", "event_action"), ("Dedup key", "dedup_key"), ("Incident", "incident")),
    given=True,
)


class PagerDutyServiceModel(Strict):
    """One PagerDuty service: its id (``PXXXXXX``) and where its routing key is."""

    id: Annotated[str, StringConstraints(pattern=r"^[A-Z0-9]{2,20}$")]
    routing_key_env: EnvName | None = Field(
        None, description="variable holding the service's Events API v2 integration key"
    )


class PagerDutyWebhooksModel(Strict):
    """V3 webhooks PagerDuty sends to ``POST /pagerduty/webhooks`` (see docs/pagerduty.md)."""

    secrets: list[Annotated[str, StringConstraints(pattern=r"^\$\{[A-Z_][A-Z0-9_]*\}$")]] = Field(
        min_length=1,
        max_length=2,
        description="${VAR} references to the subscription's signing secret (two while "
        "rotating it)",
    )
    max_age: Duration = duration_default(
        "1h", description="an event that occurred longer ago than this is refused (a replay)"
    )


class PagerDutyModel(Strict):
    """PagerDuty: services by name, on-call from it, and paging behind approval."""

    api_url: HttpUrlText = "https://api.pagerduty.com"
    events_url: HttpUrlText = "https://events.pagerduty.com"
    timeout: Duration = duration_default("10s", description="per request")
    oncall: bool = Field(True, description="answer who is on call from PagerDuty")
    agent: Name = Field("incident", description="the agent owning the paging actions")
    services: dict[Name, PagerDutyServiceModel] = {}
    approval: ApprovalModel | None = Field(None, description="who approves a trigger")
    acknowledge_approval: ApprovalModel | None = None
    resolve_approval: ApprovalModel | None = None
    webhooks: PagerDutyWebhooksModel | None = None


@dataclass(frozen=True, slots=True)
class PagerDutySettings:
    """What the edge needs to reach PagerDuty (no secret: those are read at run time).

    Attributes:
        service_ids: service name → PagerDuty service id.
        pageable: the services with a routing key (they can be paged).
        webhook_secret_envs: the variables holding the webhook signing secrets (empty:
            webhooks are not received).
        webhook_max_age: how old an event may be when it arrives.
    """

    api_url: str
    events_url: str
    timeout: timedelta
    oncall: bool
    service_ids: Mapping[str, str]
    pageable: tuple[str, ...]
    webhook_secret_envs: tuple[str, ...] = ()
    webhook_max_age: timedelta = timedelta(hours=1)


def _approval_of(model: PagerDutyModel, event: EventAction) -> tuple[ApprovalModel | None, str]:
    """The approval block an event's action follows, and the field it was written in."""
    own = {"acknowledge": model.acknowledge_approval, "resolve": model.resolve_approval}
    written = own.get(event)
    if written is not None:
        return written, f"{event}_approval"
    return model.approval, "approval"


def check_pagerduty(model: PagerDutyModel, *, agents: frozenset[str]) -> Iterator[Problem]:
    """The owner is a known agent, every approval block paging uses is complete, and
    webhooks have services to be about (absolute locations)."""
    if model.webhooks is not None and not model.services:
        yield ("pagerduty", "webhooks"), "webhooks need the services they are about"
    if not model.services:
        return
    if model.agent not in agents:
        yield ("pagerduty", "agent"), f"unknown agent {model.agent!r}"
    if not any(s.routing_key_env for s in model.services.values()):
        return
    reported: set[str] = set()
    for event in PAGE_ACTIONS:
        policy, where = _approval_of(model, event)
        if where in reported:
            continue
        reported.add(where)
        for loc, message in approval_problems("write", policy, has_approval=policy is not None):
            text = message.replace("write actions need", "paging needs")
            yield ("pagerduty", where, *loc[1:]), text


def to_pagerduty(
    model: PagerDutyModel,
) -> tuple[PagerDutySettings | None, tuple[ActionSpec, ...], dict[str, PagerDutyExecutorConfig]]:
    """The settings, and the paging actions with their executors (none without a service
    that has a routing key)."""
    if not model.services:
        return None, (), {}
    keys = {name: s.routing_key_env for name, s in model.services.items() if s.routing_key_env}
    settings = PagerDutySettings(
        api_url=model.api_url,
        events_url=model.events_url,
        timeout=model.timeout,
        oncall=model.oncall,
        service_ids={name: s.id for name, s in model.services.items()},
        pageable=tuple(keys),
        webhook_secret_envs=tuple(
            ref[2:-1] for ref in (model.webhooks.secrets if model.webhooks else ())
        ),
        webhook_max_age=model.webhooks.max_age if model.webhooks else timedelta(hours=1),
    )
    if not keys:
        return settings, (), {}
    actions: list[ActionSpec] = []
    executors: dict[str, PagerDutyExecutorConfig] = {}
    for event, name in PAGE_ACTIONS.items():
        policy, _ = _approval_of(model, event)
        actions.append(_action(name, event, model.agent, tuple(keys), policy))
        executors[name] = PagerDutyExecutorConfig(
            event_action=event,
            events_url=model.events_url,
            routing_keys=keys,
            timeout=model.timeout,
        )
    return settings, tuple(actions), executors


def _action(
    name: str,
    event: EventAction,
    agent: str,
    services: tuple[str, ...],
    approval: ApprovalModel | None,
) -> ActionSpec:
    params = [
        ParamSpec("service", "enum", "the PagerDuty service", choices=services),
        ParamSpec("dedup_key", "str", "PagerDuty's deduplication key", pattern=_DEDUP),
    ]
    if event == "trigger":
        params += [
            ParamSpec("summary", "str", "what is wrong", pattern=r"[^\n]{1,1024}"),
            ParamSpec(
                "severity",
                "enum",
                "critical, error, warning or info",
                default="critical",
                choices=("critical", "error", "warning", "info"),
            ),
        ]
    verb = {"trigger": "Page", "acknowledge": "Acknowledge", "resolve": "Resolve"}[event]
    what = "a service's on-call" if event == "trigger" else "a PagerDuty alert"
    return ActionSpec(
        name=name,
        agent=agent,
        description=f"{verb} {what} through PagerDuty (Events API v2)",
        risk="write",
        executor=ExecutorInfo(kind="pagerduty", target="pagerduty:events", idempotent=True),
        params=tuple(params),
        approval=to_approval_policy(approval, risk="write"),
        result=_RESULT,
    )
