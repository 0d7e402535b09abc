"""The one seam every Web API call of the edge goes through: the SDK's and aiohttp's errors
are translated here into :class:`~agents.kernel.errors.SlackApiFailure`, and the errors no
retry can fix are named once."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import structlog
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from agents.kernel.errors import SlackApiFailure

__all__ = ["PERMANENT_ERRORS", "call_slack", "tell_user"]

log = structlog.get_logger(__name__)

PERMANENT_ERRORS = frozenset(
    {
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "invalid_auth",
        "account_inactive",
        "token_revoked",
        "no_permission",
        "missing_scope",
        "thread_not_found",
        "user_not_in_channel",
        "invalid_blocks",
        "msg_too_long",
        "restricted_action",
    }
)
"""Slack errors that no retry can fix: the delivery is marked failed instead of retried."""


async def call_slack(method: str, call: Callable[[], Awaitable[Any]]) -> Any:
    """Run one Web API call, translating the SDK's and aiohttp's errors at this seam."""
    try:
        return await call()
    except SlackApiError as exc:
        error = exc.response.get("error") if exc.response is not None else None
        status = getattr(exc.response, "status_code", "?")
        raise SlackApiFailure(method, str(error or f"http_{status}")) from exc
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise SlackApiFailure(method, f"connection: {type(exc).__name__}") from exc


async def tell_user(
    client: AsyncWebClient, *, user: str, channel: str | None, text: str, event: str
) -> None:
    """Show ``text`` to ``user`` only: ephemeral in ``channel``, else in their DM. A failure
    is logged as ``event`` and swallowed (the click that caused it was already acked)."""
    try:
        if channel:
            await call_slack(
                "chat.postEphemeral",
                lambda: client.chat_postEphemeral(channel=channel, user=user, text=text),
            )
        else:
            await call_slack(
                "chat.postMessage", lambda: client.chat_postMessage(channel=user, text=text)
            )
    except SlackApiFailure as exc:
        log.warning(event, method=exc.method, error=exc.error)
