"""The ``IssueTracker`` port on Jira Cloud's REST API v3
(https://developer.atlassian.com/cloud/jira/platform/rest/v3/).

``create`` is ``POST /rest/api/3/issue`` in the configured project and issue type, with the
configured labels and one more, the follow-up's marker as a label
(``switchboard-followup-<id>``; labels hold no spaces or colons here), and the body as an
Atlassian Document Format description. ``find`` searches with JQL
(``GET /rest/api/3/search/jql``, ``project = "KEY" AND labels = "<marker label>"``), so a
run interrupted between "created" and "stored" adopts the issue instead of filing it twice.
Jira's search index can lag a write by a few seconds; the rerun of an interrupted run comes
after the job's lease ran out (tens of seconds), well after that.

Authentication is basic: the account's email and an API token (``Authorization: Basic
base64(email:token)``); the token is never logged or put in a message. Errors are translated
here into :class:`~agents.incidents.ports.TicketFailure`.
"""

from __future__ import annotations

import base64
from typing import Any

import aiohttp
import structlog
from pydantic import BaseModel, ConfigDict, ValidationError

from agents.incidents.followups import marker_in
from agents.incidents.ports import Ticket, TicketFailure
from bot.integrations.tickets.http import TrackerApi

__all__ = ["JiraIssues", "marker_label"]

log = structlog.get_logger(__name__)


def marker_label(marker: str) -> str:
    """The label a marker is kept as (Jira labels: no spaces; colons avoided for JQL)."""
    return marker.replace(":", "-").replace(" ", "-")


class _Created(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    key: str


class _Found(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    issues: list[_Created] = []


class JiraIssues:
    """Files and finds issues in one Jira project."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        url: str,
        project: str,
        issue_type: str,
        email: str,
        token: str,
        labels: tuple[str, ...] = (),
        timeout: float = 10.0,
    ) -> None:
        self._url = url.rstrip("/")
        self._project = project
        self._issue_type = issue_type
        credentials = base64.b64encode(f"{email}:{token}".encode()).decode()
        headers = {"Accept": "application/json", "Authorization": f"Basic {credentials}"}
        self._api = TrackerApi(session, self._url, tracker="Jira", headers=headers, timeout=timeout)
        self._labels = labels

    async def find(self, marker: str) -> Ticket | None:
        """The issue labelled with ``marker``'s label in the project, if any."""
        jql = f'project = "{self._project}" AND labels = "{marker_label(marker)}"'
        params = {"jql": jql, "fields": "summary", "maxResults": "1"}
        answer = await self._api.call(
            "GET", "/rest/api/3/search/jql", params=params, sent_may_apply=False
        )
        try:
            found = _Found.model_validate(answer).issues
        except ValidationError as exc:
            raise TicketFailure("Jira answered the search with something else") from exc
        return self._ticket(found[0].key) if found else None

    async def create(self, *, title: str, body: str) -> Ticket:
        """File an issue; its number (in the project) and link."""
        found = marker_in(body)
        labels = [*self._labels, *([marker_label(found)] if found else [])]
        fields = {
            "project": {"key": self._project},
            "issuetype": {"name": self._issue_type},
            "summary": " ".join(title.split())[:255],
            "labels": labels,
            "description": _document(body),
        }
        answer = await self._api.call(
            "POST", "/rest/api/3/issue", json={"fields": fields}, sent_may_apply=True
        )
        try:
            key = _Created.model_validate(answer).key
        except ValidationError as exc:
            raise TicketFailure("Jira's answer named no issue", maybe_created=True) from exc
        log.info("jira_issue_created", key=key)
        return self._ticket(key)

    def _ticket(self, key: str) -> Ticket:
        number = key.rpartition("-")[2]
        if not number.isdigit():
            raise TicketFailure(f"Jira named an issue {key!r} without a number")
        return Ticket(int(number), f"{self._url}/browse/{key}")


def _document(body: str) -> dict[str, Any]:
    """``body`` as an Atlassian Document Format description: a paragraph per paragraph,
    without the HTML comment carrying the marker (the marker is a label in Jira)."""
    paragraphs = [
        " ".join(part.split())
        for part in body.split("\n\n")
        if part.strip() and not part.strip().startswith("<!--")
    ]
    return {
        "type": "doc",
        "version": 1,
        "content": [
            {"type": "paragraph", "content": [{"type": "text", "text": text}]}
            for text in paragraphs
        ],
    }
