"""Slack's refusals, as slack_sdk raises them, for unit tests of the edge."""

from __future__ import annotations

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_slack_response import AsyncSlackResponse


def refusal(method: str, error: str) -> SlackApiError:
    """The error slack_sdk raises when ``method`` answers ``{"ok": false, "error": error}``."""
    response = AsyncSlackResponse(
        client=None,  # type: ignore[arg-type]
        http_verb="POST",
        api_url=f"https://slack.com/api/{method}",
        req_args={},
        data={"ok": False, "error": error},
        headers={},
        status_code=200,
    )
    return SlackApiError(error, response)
