"""A small GitHub Issues stand-in served by the sandbox, written from GitHub's REST reference
(https://docs.github.com/en/rest/issues/issues), so incident follow-ups can become tickets in
tests and the demo.

Endpoints, under ``/github`` (set the bot's ``api_url`` to ``<sandbox>/github``):

- ``POST /repos/{owner}/{repo}/issues`` ``{title, body?, labels?}`` → 201 with the issue
  (``number``, ``html_url``, ``title``, ``body``, ``labels``, ``state``).
- ``GET /repos/{owner}/{repo}/issues?state=all&labels=a,b&per_page=N`` → 200, the matching
  issues newest first.

Both need ``Authorization: Bearer <token>`` with the token the stand-in was given (401
``Bad credentials`` otherwise, as GitHub answers); an unknown repository is 404 ``Not Found``.
``fail_next(status)`` answers the next request with that status and changes nothing.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

__all__ = ["GithubIssuesApi"]

PREFIX = "/github"


@dataclass
class GithubIssuesApi:
    """State and handlers of the stand-in: ``issues`` by ``owner/repo``.

    Attributes:
        token: the only token it accepts.
        repos: the repositories that exist (others are 404).
        created: how many issues were created through the API (a test's exactly-once count).
        base_url: where issues' ``html_url`` point (the sandbox sets its own ``/github``,
            like a GitHub Enterprise host serving both).
    """

    token: str = field(default_factory=lambda: "ghp_" + secrets.token_hex(18))
    repos: set[str] = field(default_factory=lambda: {"acme/shop"})
    issues: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    created: int = 0
    base_url: str = "https://github.com"
    _failures: list[int] = field(default_factory=list)

    def add_routes(self, app: web.Application) -> None:
        """Serve the endpoints on ``app``."""
        path = PREFIX + "/repos/{owner}/{repo}/issues"
        app.router.add_post(path, self._create)
        app.router.add_get(path, self._list)

    def fail_next(self, status: int) -> None:
        """Answer the next request with ``status`` (a GitHub error body), applying nothing."""
        self._failures.append(status)

    def add_issue(self, repo: str, *, title: str, body: str, labels: list[str]) -> dict[str, Any]:
        """Store an issue as if made on GitHub's website (not counted in ``created``)."""
        issues = self.issues.setdefault(repo, [])
        number = len(issues) + 1
        issue = {
            "number": number,
            "html_url": f"{self.base_url}/{repo}/issues/{number}",
            "title": title,
            "body": body,
            "labels": [{"name": name} for name in labels],
            "state": "open",
        }
        issues.append(issue)
        return issue

    def _refusal(self, request: web.Request) -> web.Response | None:
        if self._failures:
            status = self._failures.pop(0)
            return web.json_response({"message": "Server Error"}, status=status)
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return web.json_response({"message": "Bad credentials"}, status=401)
        if self._repo(request) not in self.repos:
            return web.json_response({"message": "Not Found"}, status=404)
        return None

    @staticmethod
    def _repo(request: web.Request) -> str:
        return f"{request.match_info['owner']}/{request.match_info['repo']}"

    async def _create(self, request: web.Request) -> web.Response:
        refusal = self._refusal(request)
        if refusal is not None:
            return refusal
        try:
            payload = await request.json()
        except ValueError:
            return web.json_response({"message": "Problems parsing JSON"}, status=400)
        title = payload.get("title") if isinstance(payload, dict) else None
        if not isinstance(title, str) or not title:
            return web.json_response({"message": "Validation Failed"}, status=422)
        labels = [str(label) for label in payload.get("labels") or []]
        issue = self.add_issue(
            self._repo(request), title=title, body=str(payload.get("body") or ""), labels=labels
        )
        self.created += 1
        return web.json_response(issue, status=201)

    async def _list(self, request: web.Request) -> web.Response:
        refusal = self._refusal(request)
        if refusal is not None:
            return refusal
        wanted = {name for name in request.query.get("labels", "").split(",") if name}
        state = request.query.get("state", "open")
        limit = int(request.query.get("per_page", "30"))
        found = [
            issue
            for issue in reversed(self.issues.get(self._repo(request), []))
            if state in ("all", issue["state"])
            and wanted <= {label["name"] for label in issue["labels"]}
        ]
        return web.json_response(found[:limit])
