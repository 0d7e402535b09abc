"""A workspace removes the app (``app_uninstalled``, or ``tokens_revoked`` naming the bot),
or an org-wide install gains or loses workspaces (``team_access_granted``,
``team_access_revoked``).

The removals arrive without authorization (Bolt skips it for them: the token may already be
dead). The listener reads who it is about from the request's context (workspace,
organization, org-wide install) and makes one call: the bot forgets the installation and
stops that workspace's work. A ``tokens_revoked`` that names only user tokens changes
nothing here (Switchboard asks for no user scopes).

Slack sends the team access events to an organization-ready app with the organization in
the envelope (``enterprise_id``, ``team_id`` null) and the workspaces in the event
(``team_ids``). A payload without an organization or a list of workspace ids is logged and
acknowledged, never acted on.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import structlog
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext

from agents.kernel.tenancy import Tenant
from handlers.middleware import tenant_of

__all__ = ["InstallEffects", "InstallListeners", "register_installs", "revokes_bot", "team_ids_of"]

log = structlog.get_logger(__name__)


class InstallEffects(Protocol):
    """What the install events do (a multi-workspace bot)."""

    async def removed(self, tenant: Tenant, reason: str) -> int:
        """Forget a workspace (organization) that removed the app, for ``reason``; how many
        of its requests ended."""
        ...

    async def access_granted(self, enterprise_id: str, team_ids: Sequence[str]) -> None:
        """The organization's org-wide install now serves ``team_ids``."""
        ...

    async def access_revoked(self, enterprise_id: str, team_ids: Sequence[str]) -> int:
        """The organization's org-wide install no longer serves ``team_ids``; how many of
        their requests ended."""
        ...


def revokes_bot(event: dict[str, Any]) -> bool:
    """A ``tokens_revoked`` event names at least one bot token."""
    tokens = event.get("tokens")
    return isinstance(tokens, dict) and bool(tokens.get("bot"))


def team_ids_of(event: dict[str, Any]) -> list[str] | None:
    """The workspaces a team access event names (``team_ids`` on the event, or on an event
    nested in it as Slack's reference example shows); None if it names no list of ids."""
    nested = event.get("event")
    team_ids = event.get("team_ids")
    if team_ids is None and isinstance(nested, dict):
        team_ids = nested.get("team_ids")
    if not isinstance(team_ids, list) or not all(
        isinstance(team, str) and team for team in team_ids
    ):
        return None
    return sorted(set(team_ids))


def _organization(body: dict[str, Any], context: AsyncBoltContext) -> str | None:
    """The organization of a team access event: Bolt's (its authorizations), else the
    envelope's."""
    enterprise = context.enterprise_id or body.get("enterprise_id")
    return enterprise if isinstance(enterprise, str) and enterprise else None


class InstallListeners:
    """The install events, each one call into ``installs``."""

    def __init__(self, installs: InstallEffects) -> None:
        self._effects = installs

    async def on_uninstalled(self, context: AsyncBoltContext) -> None:
        """The app was uninstalled: forget the workspace and stop its work."""
        await self._effects.removed(tenant_of(context), "app_uninstalled")

    async def on_tokens_revoked(self, event: dict[str, Any], context: AsyncBoltContext) -> None:
        """The bot's token was revoked: the same; user tokens alone change nothing."""
        if not revokes_bot(event):
            log.info("user_tokens_revoked_ignored", team_id=context.team_id)
            return
        await self._effects.removed(tenant_of(context), "tokens_revoked")

    async def on_team_access(
        self, body: dict[str, Any], event: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        """Access to workspaces granted to (revoked from) the org-wide install."""
        kind = str(event.get("type"))
        team_ids = team_ids_of(event)
        enterprise = _organization(body, context)
        if team_ids is None or enterprise is None:
            log.warning("payload_malformed", kind=kind, enterprise_id=enterprise)
            return
        if kind == "team_access_granted":
            await self._effects.access_granted(enterprise, team_ids)
        else:
            await self._effects.access_revoked(enterprise, team_ids)


def register_installs(app: AsyncApp, *, installs: InstallEffects) -> None:
    """Attach the listeners of the install events."""
    listeners = InstallListeners(installs)
    app.event("app_uninstalled")(listeners.on_uninstalled)
    app.event("tokens_revoked")(listeners.on_tokens_revoked)
    app.event("team_access_granted")(listeners.on_team_access)
    app.event("team_access_revoked")(listeners.on_team_access)
