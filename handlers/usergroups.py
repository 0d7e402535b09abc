"""User-group membership from Slack, cached with a short TTL.

Only the groups named in the config matter; their handles are resolved to ids with
``usergroups.list`` and their members read with ``usergroups.users.list``. A Slack error
leaves the last known membership in place (or none), and is logged: a failure never grants
anyone a group.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

import structlog
from slack_sdk.web.async_client import AsyncWebClient

from agents.kernel.errors import SlackApiFailure
from handlers.slack_calls import call_slack

__all__ = ["SlackGroupDirectory"]

log = structlog.get_logger(__name__)


class SlackGroupDirectory:
    """``GroupDirectory`` over the Slack Web API."""

    def __init__(
        self,
        client: AsyncWebClient,
        *,
        handles: Iterable[str],
        ttl: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._handles = frozenset(h.lstrip("@") for h in handles)
        self._ttl = ttl
        self._clock = clock
        self._members: dict[str, frozenset[str]] = {}
        self._loaded_at: float | None = None

    def watch(self, handles: Iterable[str]) -> None:
        """Resolve these groups too from now on (named by a tool added while running): the
        next lookup reads Slack again when any of them is new."""
        new = frozenset(h.lstrip("@") for h in handles) - self._handles
        if new:
            self._handles |= new
            self._loaded_at = None
            log.info("usergroups_watched", handles=sorted(new))

    async def groups_of(self, user_id: str) -> frozenset[str]:
        """The configured group handles ``user_id`` belongs to."""
        if not self._handles:
            return frozenset()
        now = self._clock()
        if self._loaded_at is None or now - self._loaded_at >= self._ttl:
            await self._refresh()
            self._loaded_at = now
        return frozenset(h for h, members in self._members.items() if user_id in members)

    async def _refresh(self) -> None:
        try:
            listing = await call_slack("usergroups.list", lambda: self._client.usergroups_list())
            ids = {
                str(group["handle"]): str(group["id"])
                for group in listing.get("usergroups") or []
                if group.get("handle") in self._handles
            }
            members: dict[str, frozenset[str]] = {}
            for handle, group_id in ids.items():
                users = await call_slack(
                    "usergroups.users.list",
                    lambda gid=group_id: self._client.usergroups_users_list(usergroup=gid),  # type: ignore[misc]
                )
                members[handle] = frozenset(str(u) for u in users.get("users") or [])
        except SlackApiFailure as exc:
            log.warning("usergroups_refresh_failed", method=exc.method, error=exc.error)
            return
        missing = self._handles - members.keys()
        if missing:
            log.warning("usergroups_not_found", handles=sorted(missing))
        self._members = members
