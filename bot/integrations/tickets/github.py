"""The ``IssueTracker`` port on GitHub's REST API (https://docs.github.com/en/rest/issues).

``create`` is ``POST /repos/{owner}/{repo}/issues`` with the configured labels; ``find`` lists
the repository's issues carrying those labels (``GET /repos/{owner}/{repo}/issues?state=all``,
newest first, one page of 100) and looks for the follow-up's marker in their bodies: the
listing is read at once after a create, unlike the search API's index. Errors are translated
here into :class:`~agents.incidents.ports.TicketFailure`; the token goes in the
``Authorization`` header only and is never logged or put in a message.
"""

from __future__ import annotations

import aiohttp
import structlog
from pydantic import BaseModel, ConfigDict, ValidationError

from agents.incidents.ports import Ticket, TicketFailure
from bot.integrations.tickets.http import TrackerApi

__all__ = ["GithubIssues"]

log = structlog.get_logger(__name__)

_PAGE = 100
_API_VERSION = "2022-11-28"


class _Issue(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    number: int
    html_url: str
    body: str | None = None


class GithubIssues:
    """Files and finds issues in one repository."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        repo: str,
        token: str,
        api_url: str = "https://api.github.com",
        labels: tuple[str, ...] = (),
        timeout: float = 10.0,
    ) -> None:
        headers = {
            "Accept": "application/vnd.github+json",
            "Authorization": f"Bearer {token}",
            "X-GitHub-Api-Version": _API_VERSION,
        }
        issues = f"{api_url.rstrip('/')}/repos/{repo}/issues"
        self._api = TrackerApi(session, issues, tracker="GitHub", headers=headers, timeout=timeout)
        self._labels = labels

    async def find(self, marker: str) -> Ticket | None:
        """The newest labelled issue whose body holds ``marker``, if any."""
        params = {"state": "all", "per_page": str(_PAGE), "sort": "created", "direction": "desc"}
        if self._labels:
            params["labels"] = ",".join(self._labels)
        answer = await self._api.call("GET", params=params, sent_may_apply=False)
        if not isinstance(answer, list):
            raise TicketFailure("GitHub answered the issue list with something else")
        for item in answer:
            issue = _parse(item)
            if issue is not None and marker in (issue.body or ""):
                return Ticket(issue.number, issue.html_url)
        return None

    async def create(self, *, title: str, body: str) -> Ticket:
        """File an issue; its number and link."""
        payload = {"title": title, "body": body, "labels": list(self._labels)}
        issue = _parse(await self._api.call("POST", json=payload, sent_may_apply=True))
        if issue is None:
            raise TicketFailure("GitHub's answer named no issue", maybe_created=True)
        log.info("github_issue_created", number=issue.number)
        return Ticket(issue.number, issue.html_url)


def _parse(item: object) -> _Issue | None:
    try:
        return _Issue.model_validate(item)
    except ValidationError:
        return None
