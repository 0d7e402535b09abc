"""Readiness: is this process fit to take Slack traffic right now?

``/healthz`` only says the process answers. ``/readyz`` checks what a turn needs: the
database answers, its schema is at the newest migration, and Slack accepts the bot token
(``auth.test``, cached for a minute so a scrape every few seconds costs Slack nothing).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import structlog
from slack_sdk.errors import SlackApiError, SlackClientError

from agents.kernel.errors import StorageError
from storage import Database
from storage.migrate import head_revision

__all__ = ["Readiness", "ReadinessReport"]

log = structlog.get_logger(__name__)

_SLACK_TTL = 60.0
_SLACK_FAILED_TTL = 10.0


@dataclass(frozen=True, slots=True)
class ReadinessReport:
    """Each check's verdict (``ok`` or what is wrong) and the overall answer."""

    database: str
    migrations: str
    slack: str

    @property
    def ok(self) -> bool:
        """Every check passed."""
        return self.database == self.migrations == self.slack == "ok"


class Readiness:
    """The ``/readyz`` checks, with the Slack check cached."""

    def __init__(
        self,
        database: Database,
        *,
        slack_auth: Callable[[], Awaitable[object]],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._database = database
        self._slack_auth = slack_auth
        self._clock = clock
        self._slack: tuple[float, str] | None = None

    async def check(self) -> ReadinessReport:
        """Run the checks (Slack's answer is reused for a minute, a failure for 10 s)."""
        try:
            await self._database.ping()
            database = "ok"
        except StorageError as exc:
            database = f"unreachable: {exc}"
        migrations = "unknown: database unreachable"
        if database == "ok":
            try:
                current = await self._database.current_revision()
                head = head_revision()
                migrations = "ok"
                if current != head:
                    at = current or "nothing"
                    migrations = f"at {at}, newest is {head}: run `switchboard db upgrade`"
            except StorageError as exc:
                migrations = f"unreadable: {exc}"
        return ReadinessReport(database, migrations, await self._slack_check())

    async def _slack_check(self) -> str:
        now = self._clock()
        if self._slack is not None and now < self._slack[0]:
            return self._slack[1]
        try:
            await self._slack_auth()
            verdict, ttl = "ok", _SLACK_TTL
        except SlackApiError as exc:
            verdict = f"refused: {exc.response.get('error', 'unknown_error')}"
            ttl = _SLACK_FAILED_TTL
        except (SlackClientError, OSError, TimeoutError) as exc:
            verdict, ttl = f"unreachable: {type(exc).__name__}", _SLACK_FAILED_TTL
        if verdict != "ok":
            log.warning("readiness_slack_failed", verdict=verdict)
        self._slack = (now + ttl, verdict)
        return verdict
