"""A workspace removes the app: ``app_uninstalled``, or ``tokens_revoked`` naming the bot.

Both arrive without authorization (Bolt skips it for them: the token may already be dead).
The listener reads who it is about from the request's context (workspace, organization,
org-wide install) and makes one call: the bot forgets the installation and stops that
workspace's work. A ``tokens_revoked`` that names only user tokens changes nothing here
(Switchboard asks for no user scopes).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext

from agents.kernel.tenancy import Tenant
from handlers.middleware import tenant_of

__all__ = ["Removal", "WorkspaceRemoval", "register_installs", "revokes_bot"]

log = structlog.get_logger(__name__)

Removal = Callable[[Tenant, str], Awaitable[int]]
"""Forget a workspace (organization) that removed the app, for a reason; how many of its
requests ended."""


def revokes_bot(event: dict[str, Any]) -> bool:
    """A ``tokens_revoked`` event names at least one bot token."""
    tokens = event.get("tokens")
    return isinstance(tokens, dict) and bool(tokens.get("bot"))


class WorkspaceRemoval:
    """The two events, each one call into ``removal``."""

    def __init__(self, removal: Removal) -> None:
        self._removal = removal

    async def on_uninstalled(self, context: AsyncBoltContext) -> None:
        """The app was uninstalled: forget the workspace and stop its work."""
        await self._removal(tenant_of(context), "app_uninstalled")

    async def on_tokens_revoked(self, event: dict[str, Any], context: AsyncBoltContext) -> None:
        """The bot's token was revoked: the same; user tokens alone change nothing."""
        if not revokes_bot(event):
            log.info("user_tokens_revoked_ignored", team_id=context.team_id)
            return
        await self._removal(tenant_of(context), "tokens_revoked")


def register_installs(app: AsyncApp, *, removal: Removal) -> None:
    """Attach the listeners for ``app_uninstalled`` and ``tokens_revoked``."""
    listeners = WorkspaceRemoval(removal)
    app.event("app_uninstalled")(listeners.on_uninstalled)
    app.event("tokens_revoked")(listeners.on_tokens_revoked)
