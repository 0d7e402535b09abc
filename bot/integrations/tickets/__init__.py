"""Issue trackers that incident follow-ups are filed in (GitHub Issues, through its REST API)."""

from __future__ import annotations

from bot.integrations.tickets.github import GithubIssues

__all__ = ["GithubIssues"]
