"""Slack users by email (``users.lookupByEmail``, scopes ``users:read`` and
``users:read.email``), cached with a TTL: how a PagerDuty on-call person becomes a Slack
mention and an invitee.

A match is kept for ``ttl``; Slack saying nobody has the email (``users_not_found``) is kept
for ``miss_ttl`` (a person may join Slack meanwhile). Any other failure (a 429 beyond the
client's retries, a missing scope, Slack unreachable) is logged and answered "not found"
without caching, so the person is shown by name this time and looked up again next time: a
failed lookup never names the wrong person. Emails are compared as Slack does, ignoring
case. The email itself is never logged.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import structlog
from slack_sdk.web.async_client import AsyncWebClient

from agents.kernel.errors import SlackApiFailure
from handlers.slack_calls import call_slack

__all__ = ["SlackPeople"]

log = structlog.get_logger(__name__)

_NOT_FOUND = frozenset({"users_not_found", "user_not_found"})


class SlackPeople:
    """``PeopleByEmail`` over the Slack Web API."""

    def __init__(
        self,
        client: AsyncWebClient,
        *,
        ttl: float = 3600.0,
        miss_ttl: float = 600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._ttl = ttl
        self._miss_ttl = miss_ttl
        self._clock = clock
        self._known: dict[str, tuple[str | None, float]] = {}

    async def slack_user(self, email: str) -> str | None:
        """The Slack user id with this email, or None (see the module docstring)."""
        key = email.strip().lower()
        cached = self._known.get(key)
        now = self._clock()
        if cached is not None and cached[1] > now:
            return cached[0]
        try:
            response = await call_slack(
                "users.lookupByEmail", lambda: self._client.users_lookupByEmail(email=key)
            )
        except SlackApiFailure as exc:
            if exc.error in _NOT_FOUND:
                self._known[key] = (None, now + self._miss_ttl)
            else:
                log.warning("slack_user_lookup_failed", error=exc.error)
            return None
        user = response.get("user") or {}
        found = str(user.get("id") or "") or None
        if user.get("deleted") or user.get("is_bot"):
            found = None
        self._known[key] = (found, now + (self._ttl if found else self._miss_ttl))
        return found
