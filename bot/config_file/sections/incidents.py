"""The ``incidents:`` section: how incidents are declared and reminded, where follow-ups
become tickets, the rules on them, and the domain's :class:`IncidentSettings` (and the
:class:`TicketSettings` the wiring builds the ticket action from)."""

from __future__ import annotations

from collections.abc import Iterator, Set
from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from agents.actions.spec import ApprovalPolicy
from agents.incidents.rotation import DEFAULT_UPDATE_INTERVALS, IncidentSettings
from bot.config_file.sections.actions import ApprovalModel, to_approval_policy
from bot.config_file.sections.base import Duration, Name, Problem, Strict

__all__ = [
    "GithubTicketsModel",
    "IncidentsModel",
    "JiraTicketsModel",
    "TicketSettings",
    "TicketsModel",
    "check_incidents",
    "to_incident_settings",
    "to_ticket_settings",
]

Severity = Annotated[str, StringConstraints(pattern=r"^sev[0-9]$")]


class GithubTicketsModel(Strict):
    """A GitHub repository that follow-ups are filed in, through the REST API."""

    repo: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")] = Field(
        description="owner/name"
    )
    token_env: Annotated[str, StringConstraints(pattern=r"^[A-Z_][A-Z0-9_]*$")] = Field(
        description="environment variable holding a token that may create issues"
    )
    api_url: Annotated[str, StringConstraints(pattern=r"^https?://[^\s]+$")] = Field(
        "https://api.github.com", description="REST API root (GitHub Enterprise: <host>/api/v3)"
    )
    labels: list[Annotated[str, StringConstraints(min_length=1, max_length=50)]] = Field(
        ["incident-follow-up"], min_length=1, description="labels on every ticket"
    )


class JiraTicketsModel(Strict):
    """A Jira Cloud project that follow-ups are filed in, through the REST API (v3)."""

    url: Annotated[str, StringConstraints(pattern=r"^https?://[^\s/?#]+(/[^\s?#]*)?$")] = Field(
        description="the site, e.g. https://acme.atlassian.net"
    )
    project: Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9_]{0,9}$")] = Field(
        description="the project key"
    )
    issue_type: Annotated[str, StringConstraints(min_length=1, max_length=60)] = "Task"
    email: Annotated[str, StringConstraints(pattern=r"^[^\s@]+@[^\s@]+$")] = Field(
        description="the account the API token belongs to"
    )
    token: Annotated[str, StringConstraints(pattern=r"^\$\{[A-Z_][A-Z0-9_]*\}$")] = Field(
        description="${VAR} reference to the account's API token"
    )
    labels: list[Annotated[str, StringConstraints(pattern=r"^[^\s]{1,50}$")]] = Field(
        ["incident-follow-up"], description="labels on every ticket (no spaces)"
    )


class TicketsModel(Strict):
    """Follow-ups filed as tickets on resolve, behind one approval for the batch: in GitHub
    Issues or in Jira (exactly one)."""

    github: GithubTicketsModel | None = None
    jira: JiraTicketsModel | None = None
    approval: ApprovalModel


class IncidentsModel(Strict):
    """How incidents are declared and reminded."""

    oncall_rotation: Name | None = Field(None, description="rotation whose on-call is invited")
    channel_prefix: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,20}$")] = "inc"
    default_severity: Severity = "sev2"
    update_intervals: dict[Severity, Duration] | None = Field(
        None,
        description="per severity, how long without a status update before the incident "
        "channel is reminded (default sev1 30m, sev2 1h; {} turns reminders off)",
    )
    tickets: TicketsModel | None = None


@dataclass(frozen=True, slots=True)
class TicketSettings:
    """Where follow-ups are filed and who approves (see :mod:`agents.incidents.followups`).

    Attributes:
        kind: ``github`` or ``jira``.
        repo: where they are filed, as people name it (``acme/shop``, the Jira project key).
        token_env: the variable the token is read from at start (never stored or shown).
        api_url: GitHub's REST root, or the Jira site.
        email, issue_type: Jira's account and issue type (empty for GitHub).
    """

    repo: str
    token_env: str
    api_url: str
    labels: tuple[str, ...]
    approval: ApprovalPolicy
    kind: Literal["github", "jira"] = "github"
    email: str = ""
    issue_type: str = ""


def to_ticket_settings(model: IncidentsModel) -> TicketSettings | None:
    """The ticket settings, if tickets are configured."""
    tickets = model.tickets
    if tickets is None:
        return None
    jira, github = tickets.jira, tickets.github
    approval = to_approval_policy(tickets.approval, risk="write")
    if jira is not None:
        return TicketSettings(
            repo=jira.project,
            token_env=jira.token[2:-1],
            api_url=jira.url.rstrip("/"),
            labels=tuple(jira.labels),
            approval=approval,
            kind="jira",
            email=jira.email,
            issue_type=jira.issue_type,
        )
    if github is None:  # refused by check_incidents
        return None
    return TicketSettings(
        repo=github.repo,
        token_env=github.token_env,
        api_url=github.api_url.rstrip("/"),
        labels=tuple(github.labels),
        approval=approval,
    )


def to_incident_settings(model: IncidentsModel) -> IncidentSettings:
    """The domain's incident settings."""
    intervals = (
        DEFAULT_UPDATE_INTERVALS if model.update_intervals is None else model.update_intervals
    )
    return IncidentSettings(
        oncall_rotation=model.oncall_rotation,
        channel_prefix=model.channel_prefix,
        default_severity=model.default_severity,
        update_intervals=dict(intervals),
    )


def check_incidents(model: IncidentsModel, *, rotations: Set[str]) -> Iterator[Problem]:
    """The on-call rotation must be declared under ``oncall`` (absolute locations); reminder
    intervals must be positive."""
    wanted = model.oncall_rotation
    if wanted is not None and wanted not in rotations:
        yield ("incidents", "oncall_rotation"), f"unknown rotation {wanted!r}"
    for severity, interval in (model.update_intervals or {}).items():
        if interval.total_seconds() <= 0:
            yield ("incidents", "update_intervals", severity), "must be longer than 0s"
    if model.tickets is not None:
        if (model.tickets.github is None) == (model.tickets.jira is None):
            yield ("incidents", "tickets"), "name exactly one tracker: github or jira"
        approvers = model.tickets.approval.approvers
        if not (approvers.users or approvers.groups):
            yield ("incidents", "tickets", "approval", "approvers"), "name at least one approver"
        if model.tickets.approval.required is False:
            yield ("incidents", "tickets", "approval", "required"), "tickets are always approved"
