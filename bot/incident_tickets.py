"""Wiring for incident follow-up tickets: the ``incident_tickets`` action, its executor and
target (what the approval card shows), and the proposer the incident agent asks through.

The action is built from the ``incidents.tickets`` config, not declared under ``actions:``:
it has no command format (only the incident agent proposes it, on resolve), one approval
covers the incident's open follow-ups, and its executor files them through GitHub's or Jira's
REST API (:class:`~agents.incidents.followups.FollowUpTickets`, once each).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from agents.actions.canonical import TargetResolver
from agents.actions.execution import ExecutionRequest, ExecutionResult
from agents.actions.proposals import Proposals
from agents.actions.spec import ActionSpec, ExecutorInfo, ParamSpec, ParamValue
from agents.incidents.followups import TICKET_ACTION, FollowUpTickets, listing
from agents.incidents.records import Incident
from agents.kernel.errors import ConfigError
from agents.kernel.models import Inbound, Reply
from bot.config_file import LoadedConfig

if TYPE_CHECKING:
    import aiohttp

    from bot.config_file import TicketSettings
    from bot.integrations.tickets import GithubIssues, JiraIssues

__all__ = [
    "TicketExecutor",
    "TicketProposals",
    "TicketTargets",
    "issue_tracker",
    "require_ticket_token",
    "ticket_action",
    "ticket_hosts",
]


_TRACKERS = {"github": "GitHub issues in", "jira": "Jira issues in project"}


def ticket_hosts(config: LoadedConfig) -> list[str]:
    """The host tickets link to (GitHub's web host for its API; an Enterprise API's own
    host), so the links in a postmortem pass the link policy."""
    settings = config.incident_tickets
    if settings is None:
        return []
    host = urlsplit(settings.api_url).netloc
    return ["github.com" if host == "api.github.com" else host]  # a Jira site: its own host


def require_ticket_token(config: LoadedConfig, environ: Mapping[str, str]) -> None:
    """Stop start-up, before anything is opened, when tickets are configured without their
    token (a resolve would otherwise promise tickets it cannot file).

    Raises:
        ConfigError: naming the token's variable.
    """
    settings = config.incident_tickets
    if settings is not None and not environ.get(settings.token_env):
        field = "jira.token" if settings.kind == "jira" else "github.token_env"
        raise ConfigError(settings.token_env, f"is not set (incidents.tickets.{field})")


def issue_tracker(
    config: LoadedConfig, *, session: aiohttp.ClientSession, environ: Mapping[str, str]
) -> GithubIssues | JiraIssues | None:
    """The GitHub repository or Jira project follow-ups are filed in (None: tickets are not
    configured; :func:`require_ticket_token` checked the token at start)."""
    settings = config.incident_tickets
    if settings is None:
        return None
    from bot.integrations.tickets import GithubIssues, JiraIssues  # only when configured

    token = environ.get(settings.token_env, "")
    if settings.kind == "jira":
        return JiraIssues(
            session,
            url=settings.api_url,
            project=settings.repo,
            issue_type=settings.issue_type,
            email=settings.email,
            token=token,
            labels=settings.labels,
        )
    return GithubIssues(
        session,
        repo=settings.repo,
        token=token,
        api_url=settings.api_url,
        labels=settings.labels,
    )


def ticket_action(settings: TicketSettings) -> ActionSpec:
    """The action an approval request for an incident's follow-ups is made for."""
    return ActionSpec(
        name=TICKET_ACTION,
        agent="incident",
        description=f"File an incident's follow-ups as {_TRACKERS[settings.kind]} {settings.repo}",
        risk="write",
        executor=ExecutorInfo(
            kind="http", target=urlsplit(settings.api_url).netloc or "github", idempotent=True
        ),
        params=(
            ParamSpec("incident", "str", "the incident", pattern=r"^inc-[A-Za-z0-9_-]{1,80}$"),
            ParamSpec("followups", "str", "the follow-ups filed, one issue each"),
        ),
        approval=settings.approval,
    )


class TicketTargets:
    """``TargetResolver``: the config's targets, and for the ticket action the request it
    makes per follow-up (the token by its variable's name only)."""

    def __init__(self, inner: TargetResolver, settings: TicketSettings) -> None:
        self._inner = inner
        self._settings = settings

    def resolve(self, action: ActionSpec, params: Mapping[str, ParamValue]) -> Mapping[str, object]:
        """The target an approver consents to."""
        if action.name != TICKET_ACTION:
            return self._inner.resolve(action, params)
        settings = self._settings
        if settings.kind == "jira":
            return {
                "method": "POST",
                "url": f"{settings.api_url}/rest/api/3/issue",
                "headers": {"Authorization": f"Basic {settings.email}:${{{settings.token_env}}}"},
                "project": settings.repo,
                "issue_type": settings.issue_type,
                "labels": list(settings.labels),
                "issues": str(params.get("followups", "")),
            }
        return {
            "method": "POST",
            "url": f"{settings.api_url}/repos/{settings.repo}/issues",
            "headers": {"Authorization": f"Bearer ${{{settings.token_env}}}"},
            "labels": list(settings.labels),
            "issues": str(params.get("followups", "")),
        }


class TicketExecutor:
    """``Executor`` of the ticket action over the domain's :class:`FollowUpTickets`."""

    def __init__(self, tickets: FollowUpTickets) -> None:
        self._tickets = tickets

    async def run(self, request: ExecutionRequest) -> ExecutionResult:
        """File the approved follow-ups that have no ticket yet."""
        filing = await self._tickets.file(
            str(request.params.get("incident", "")), str(request.params.get("followups", ""))
        )
        return ExecutionResult(filing.outcome, filing.summary, body="\n".join(filing.filed) or None)


class TicketProposals:
    """``TicketRequests`` over the core's proposals: the approval card in the thread."""

    def __init__(self, proposals: Proposals, action: ActionSpec) -> None:
        self._proposals = proposals
        self._action = action

    async def propose(self, inbound: Inbound, incident: Incident) -> Reply | None:
        """The card for the follow-ups without a ticket (None: there are none)."""
        open_ones = tuple(f for f in incident.followups if f.issue_number is None)
        if not open_ones:
            return None
        params = {"incident": incident.incident_id, "followups": listing(open_ones)}
        return await self._proposals.propose(inbound, action=self._action, raw=params)
