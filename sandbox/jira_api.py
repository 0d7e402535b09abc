"""A small Jira Cloud stand-in served by the sandbox, written from Atlassian's Jira Cloud
platform REST API v3 reference (Issues: "Create issue"; Issue search: "Search for issues
using JQL enhanced search (GET)"), so incident follow-ups can become Jira issues in tests.

Endpoints, under ``/jira`` (set the bot's ``url`` to ``<sandbox>/jira``):

- ``POST /rest/api/3/issue`` ``{"fields": {project: {key}, summary, issuetype: {name},
  labels?, description? (Atlassian Document Format)}}`` → 201 ``{id, key, self}``; 400
  ``{"errorMessages": [], "errors": {field: message}}`` for an unknown project or issue
  type, a missing summary, or a label with a space.
- ``GET /rest/api/3/search/jql?jql=…&fields=…&maxResults=…`` → 200 ``{"issues": [{id, key,
  self, fields: {summary, labels}}], "isLast": true}``. The JQL understood is what
  Switchboard sends: ``project = "KEY" AND labels = "label"`` (clauses joined by ``AND``,
  values quoted or not); anything else is 400 as Jira answers a query it cannot parse.

Both need ``Authorization: Basic base64(email:api_token)`` with the account the stand-in was
given (401 otherwise). ``fail_next(status)`` answers the next request with that status and
changes nothing; ``add_issue`` stores one as if made in Jira's web app.
"""

from __future__ import annotations

import base64
import re
import secrets
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

__all__ = ["JiraApi"]

PREFIX = "/jira"
JSON = dict[str, Any]
_CLAUSE = re.compile(r'^\s*(project|labels)\s*=\s*(?:"([^"]*)"|([A-Za-z0-9_.:-]+))\s*$')


@dataclass
class JiraApi:
    """State and handlers of the stand-in.

    Attributes:
        email, token: the only account it accepts.
        projects: project key → its issue types.
        created: how many issues were created through the API (a test's exactly-once count).
        base_url: where issues' ``self`` and browse links point (the sandbox's ``/jira``).
    """

    email: str = "switchboard@acme.example"
    token: str = field(default_factory=lambda: "ATATT" + secrets.token_hex(16))
    projects: dict[str, tuple[str, ...]] = field(default_factory=lambda: {"OPS": ("Task", "Bug")})
    issues: list[JSON] = field(default_factory=list)
    created: int = 0
    base_url: str = "https://acme.atlassian.net"
    _failures: list[int] = field(default_factory=list)

    def add_routes(self, app: web.Application) -> None:
        """Serve the endpoints on ``app``."""
        app.router.add_post(PREFIX + "/rest/api/3/issue", self._create)
        app.router.add_get(PREFIX + "/rest/api/3/search/jql", self._search)

    def fail_next(self, status: int) -> None:
        """Answer the next request with ``status`` (a Jira error body), applying nothing."""
        self._failures.append(status)

    def add_issue(self, project: str, *, summary: str, labels: list[str]) -> JSON:
        """Store an issue as if made in Jira's web app (not counted in ``created``)."""
        number = 1 + sum(1 for i in self.issues if i["fields"]["project"]["key"] == project)
        ident = str(10000 + len(self.issues))
        issue = {
            "id": ident,
            "key": f"{project}-{number}",
            "self": f"{self.base_url}/rest/api/3/issue/{ident}",
            "fields": {"summary": summary, "labels": labels, "project": {"key": project}},
        }
        self.issues.append(issue)
        return issue

    def _refusal(self, request: web.Request) -> web.Response | None:
        if self._failures:
            status = self._failures.pop(0)
            return _errors(status, ["Internal server error"])
        wanted = base64.b64encode(f"{self.email}:{self.token}".encode()).decode()
        if request.headers.get("Authorization") != f"Basic {wanted}":
            return _errors(401, ["Client must be authenticated to access this resource."])
        return None

    async def _create(self, request: web.Request) -> web.Response:
        refusal = self._refusal(request)
        if refusal is not None:
            return refusal
        try:
            payload = await request.json()
        except ValueError:
            return _errors(400, ["Unexpected character in the request body."])
        fields = payload.get("fields") if isinstance(payload, dict) else None
        if not isinstance(fields, dict):
            return _errors(400, [], {"fields": "Field 'fields' is required."})
        problems = self._invalid(fields)
        if problems:
            return _errors(400, [], problems)
        issue = self.add_issue(
            fields["project"]["key"], summary=fields["summary"], labels=fields.get("labels") or []
        )
        issue["fields"]["description"] = fields.get("description")
        self.created += 1
        return web.json_response(
            {"id": issue["id"], "key": issue["key"], "self": issue["self"]}, status=201
        )

    def _invalid(self, fields: JSON) -> dict[str, str]:
        problems: dict[str, str] = {}
        project = (fields.get("project") or {}).get("key")
        if project not in self.projects:
            problems["project"] = "valid project is required"
        kind = (fields.get("issuetype") or {}).get("name")
        if project in self.projects and kind not in self.projects[project]:
            problems["issuetype"] = "Specify a valid issue type"
        summary = fields.get("summary")
        if not isinstance(summary, str) or not summary.strip():
            problems["summary"] = "You must specify a summary of the issue."
        labels = fields.get("labels") or []
        if not isinstance(labels, list) or any(
            not isinstance(label, str) or " " in label for label in labels
        ):
            problems["labels"] = "The label must not contain spaces."
        return problems

    async def _search(self, request: web.Request) -> web.Response:
        refusal = self._refusal(request)
        if refusal is not None:
            return refusal
        wanted: dict[str, str] = {}
        for clause in re.split(r"\s+AND\s+", request.query.get("jql", ""), flags=re.IGNORECASE):
            matched = _CLAUSE.match(clause)
            if matched is None:
                return _errors(400, [f"Error in the JQL Query: cannot parse {clause!r}."])
            wanted[matched.group(1)] = matched.group(2) or matched.group(3)
        limit = int(request.query.get("maxResults", "50"))
        found = [
            {**i, "fields": {k: v for k, v in i["fields"].items() if k in ("summary", "labels")}}
            for i in reversed(self.issues)
            if wanted.get("project", i["fields"]["project"]["key"]) == i["fields"]["project"]["key"]
            and ("labels" not in wanted or wanted["labels"] in i["fields"]["labels"])
        ]
        return web.json_response({"issues": found[:limit], "isLast": len(found) <= limit})


def _errors(status: int, messages: list[str], errors: dict[str, str] | None = None) -> web.Response:
    return web.json_response({"errorMessages": messages, "errors": errors or {}}, status=status)
