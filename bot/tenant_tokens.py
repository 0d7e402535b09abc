"""Each workspace's bot token, for the workspace the current work acts for.

In a multi-workspace bot every Web API call asks :class:`TenantTokens` for the token of
:func:`~agents.kernel.tenancy.acting_workspace`: the installation store's newest bot there
(the organization's, for an org-wide Enterprise Grid install), refreshed first with
slack_sdk's token rotator (``oauth.v2.access``, ``grant_type=refresh_token``) when it expires
within the rotation window, and the refreshed bot saved. A token is remembered for a few
seconds only, so an uninstall seen by another replica stops this one's calls soon after (and
Slack refuses a revoked token in any case). Tokens never reach a log line.

Work that knows only its workspace (the worker's jobs, sweeps, re-sent replies) finds an
org-wide install through the workspace's organization, recorded durably
(:class:`Organizations`) from the requests Slack sent and its ``team_access_granted``, and
deleted on its ``team_access_revoked``: it survives a restart and is shared by
every replica, as slack_sdk's ``find_bot(enterprise_id, team_id, is_enterprise_install)``
needs the organization to find an org-wide bot.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import structlog
from slack_sdk.errors import SlackApiError, SlackTokenRotationError
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.installation_store.models.bot import Bot
from slack_sdk.oauth.token_rotation.async_rotator import AsyncTokenRotator

from agents.kernel.clock import Clock
from agents.kernel.errors import StorageError
from agents.kernel.tenancy import Tenant

__all__ = ["NoToken", "Organizations", "TenantTokens"]

log = structlog.get_logger(__name__)

REMEMBER_SECONDS = 30.0


class NoToken(Exception):
    """No bot token for the work at hand: no workspace bound, the workspace is not (or no
    longer) installed, or its token could not be refreshed.

    Attributes:
        reason: ``unbound``, ``not_installed`` or ``refresh_failed``.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Organizations(Protocol):
    """Which Enterprise Grid organization each workspace belongs to, kept durably
    (:class:`~storage.org_workspaces.SqlOrgWorkspaces`)."""

    async def seen(self, team_id: str, enterprise_id: str, *, now: datetime) -> None:
        """Slack sent a request of workspace ``team_id`` from ``enterprise_id``."""
        ...

    async def organization_of(self, team_id: str) -> str | None:
        """The organization ``team_id`` was last seen in (None: none)."""
        ...


@dataclass(frozen=True, slots=True)
class _Remembered:
    token: str
    until: float
    owner: Tenant  # whose installation the token is (the organization, for org-wide)


class TenantTokens:
    """Bot tokens per workspace, from the installation store, rotated before they expire.

    Args:
        store: the installations.
        organizations: the organization of each Grid workspace.
        clock: the time a workspace's organization is recorded at.
        rotator: refreshes an expiring bot token (None: tokens do not expire).
        minutes_before_expiration: refresh a token expiring within this many minutes.
    """

    def __init__(
        self,
        store: AsyncInstallationStore,
        *,
        organizations: Organizations,
        clock: Clock,
        rotator: AsyncTokenRotator | None,
        minutes_before_expiration: int,
    ) -> None:
        self._store = store
        self._organizations = organizations
        self._clock = clock
        self._rotator = rotator
        self._minutes = minutes_before_expiration
        self._remembered: dict[Tenant, _Remembered] = {}
        self._locks: dict[Tenant, asyncio.Lock] = {}
        self._recorded: dict[str, str] = {}  # workspace -> organization, written this process

    async def learn(self, tenant: Tenant) -> None:
        """Record the organization of a Grid workspace a request came from (once a process,
        and again if it changed), so that work started later with the workspace alone (the
        worker's jobs, after a restart too) finds the org-wide token. A failed write is
        logged and tried again on the workspace's next request."""
        team, enterprise = tenant.team_id, tenant.enterprise_id
        if team is None or enterprise is None or self._recorded.get(team) == enterprise:
            return
        try:
            await self._organizations.seen(team, enterprise, now=self._clock.now())
        except StorageError as exc:
            log.warning("workspace_organization_not_recorded", team_id=team, error=str(exc))
            return
        self._recorded[team] = enterprise

    def left(self, team_id: str) -> None:
        """Workspace ``team_id`` left its organization's org-wide install (its record was
        deleted): drop this process's memory of its organization and of its token."""
        self._recorded.pop(team_id, None)
        self.forget(Tenant(team_id))

    def forget(self, tenant: Tenant) -> None:
        """Drop what is remembered for ``tenant`` (it was uninstalled or its token revoked),
        and every token of its installation (for an org-wide one, the organization's)."""
        self._remembered = {
            key: value
            for key, value in self._remembered.items()
            if not (_same_owner(key, tenant) or _same_owner(value.owner, tenant))
        }

    async def bot_token(self, tenant: Tenant | None) -> str:
        """The bot token to act for ``tenant`` with.

        Raises:
            NoToken: see its reasons.
        """
        if tenant is None:
            raise NoToken("unbound")
        now = time.monotonic()
        remembered = self._remembered.get(tenant)
        if remembered is not None and remembered.until > now:
            return remembered.token
        async with self._locks.setdefault(tenant, asyncio.Lock()):
            bot = await self._fresh_bot(tenant)
        token = str(bot.bot_token)
        until = now + REMEMBER_SECONDS
        if bot.bot_token_expires_at is not None:
            # never remembered into the window in which it is due to be refreshed
            margin = bot.bot_token_expires_at - time.time() - self._minutes * 60
            until = now + min(REMEMBER_SECONDS, max(margin, 0.0))
        owner = Tenant(
            None if bot.is_enterprise_install else bot.team_id,
            bot.enterprise_id,
            bool(bot.is_enterprise_install),
        )
        self._remembered[tenant] = _Remembered(token, until, owner)
        return token

    async def _fresh_bot(self, tenant: Tenant) -> Bot:
        bot = await self._find(tenant)
        if bot is None or not bot.bot_token:
            raise NoToken("not_installed")
        if self._rotator is None or not bot.bot_refresh_token:
            return bot
        try:
            refreshed = await self._rotator.perform_bot_token_rotation(
                bot=bot, minutes_before_expiration=self._minutes
            )
        except (SlackTokenRotationError, SlackApiError) as exc:
            error = getattr(getattr(exc, "api_error", exc), "response", None)
            log.warning(
                "bot_token_refresh_failed",
                team_id=tenant.team_id,
                enterprise_id=tenant.enterprise_id,
                error=error.get("error") if error is not None else type(exc).__name__,
            )
            raise NoToken("refresh_failed") from None
        if refreshed is None:
            return bot
        await self._store.async_save_bot(refreshed)
        log.info("bot_token_refreshed", team_id=tenant.team_id, enterprise_id=tenant.enterprise_id)
        return refreshed

    async def _find(self, tenant: Tenant) -> Bot | None:
        """The workspace's own bot, else its organization's org-wide one (the organization
        as the request said, or as recorded for the workspace)."""
        enterprise = tenant.enterprise_id
        if not tenant.is_enterprise_install:
            bot = await self._store.async_find_bot(enterprise_id=enterprise, team_id=tenant.team_id)
            if bot is not None:
                return bot
            if enterprise is None and tenant.team_id is not None:
                # the durable record, not this process's: another replica may have deleted it
                enterprise = await self._organizations.organization_of(tenant.team_id)
        if enterprise is None:
            return None
        return await self._store.async_find_bot(
            enterprise_id=enterprise, team_id=None, is_enterprise_install=True
        )


def _same_owner(key: Tenant, gone: Tenant) -> bool:
    if gone.is_enterprise_install or gone.team_id is None:
        return key.enterprise_id == gone.enterprise_id
    return key.team_id == gone.team_id
