"""Issue trackers that incident follow-ups are filed in: GitHub Issues and Jira Cloud, each
through its REST API."""

from __future__ import annotations

from bot.integrations.tickets.github import GithubIssues
from bot.integrations.tickets.jira import JiraIssues

__all__ = ["GithubIssues", "JiraIssues"]
