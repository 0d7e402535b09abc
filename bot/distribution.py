"""Many workspaces: Bolt's OAuth v2 install flow over our database, each workspace's token,
and what happens when a workspace removes the app (docs/distribute.md).

- ``/slack/install`` and ``/slack/oauth_redirect`` are Bolt's :class:`AsyncOAuthFlow`, with
  the ``state`` cookie check. The ``state`` is :class:`OneTimeState`: slack_sdk's stateless
  signed state (HMAC with ``SLACK_STATE_SECRET``, short expiry: any replica verifies it
  without shared storage) and, when used, its digest recorded in the database, so a state
  completes one install only.
- Installations live in :class:`~storage.installations.SqlInstallationStore` (tokens sealed
  with ``SLACK_TOKEN_ENCRYPTION_KEY`` when set). Bolt's authorize and
  :class:`~bot.tenant_tokens.TenantTokens` both find a workspace's bot there and refresh a
  token near its expiry with the ``oauth.v2.access`` refresh grant.
- The organization of each Grid workspace a request came from is recorded
  (:class:`~storage.org_workspaces.SqlOrgWorkspaces`), so work that knows only its workspace
  finds an org-wide install after a restart and on every replica.
- ``app_uninstalled`` and ``tokens_revoked`` (bot) delete the workspace's installations,
  forget its cached token, and end its requests not yet running as ``cancelled`` (audited
  with the reason); for an org-wide install, the requests of every workspace of the
  organization that it served (those without an install of their own).
  ``team_access_granted`` / ``team_access_revoked`` (an org-wide install gains or loses
  workspaces) are :mod:`bot.install_events`'.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import structlog
from slack_bolt.authorization.async_authorize import AsyncInstallationStoreAuthorize
from slack_bolt.oauth.async_oauth_flow import AsyncOAuthFlow
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore
from slack_sdk.oauth.token_rotation.async_rotator import AsyncTokenRotator
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from agents.actions.runs import Runs
from agents.kernel.clock import Clock
from agents.kernel.tenancy import Tenant
from bot.config import Settings
from bot.tenant_tokens import TenantTokens
from storage import Database
from storage.installations import SqlInstallationStore, SqlUsedStates, TokenSeal
from storage.org_workspaces import SqlOrgWorkspaces

__all__ = [
    "BOT_SCOPES",
    "INSTALL_PATH",
    "REDIRECT_PATH",
    "STATE_SECONDS",
    "Distribution",
    "OAuthClient",
    "OneTimeState",
    "authorization_url",
    "signed_state",
]

log = structlog.get_logger(__name__)

INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
STATE_SECONDS = 300
"""How long an install link's ``state`` is good for (slack_sdk's advice for signed states)."""

BOT_SCOPES = (
    "app_mentions:read",
    "channels:history",
    "groups:history",
    "im:history",
    "chat:write",
    "assistant:write",
    "commands",
    "usergroups:read",
    "reactions:write",
    "channels:manage",
    "reactions:read",
    "pins:read",
    "users:read",
    "users:read.email",
)
"""The bot scopes an install asks for: exactly manifest.yaml's (a test keeps them equal)."""


def authorization_url(api_url: str) -> str:
    """Slack's authorize page beside the Web API base (``https://slack.com/api/`` ->
    ``https://slack.com/oauth/v2/authorize``; the sandbox's likewise)."""
    return api_url.removesuffix("/").removesuffix("/api") + "/oauth/v2/authorize"


class OAuthClient(AsyncWebClient):
    """The client of the token-less OAuth methods (``oauth.v2.access``): the app's client id
    and secret go as HTTP Basic auth encoded here, not through aiohttp's deprecated
    ``BasicAuth`` that slack_sdk would build."""

    async def api_call(
        self,
        api_method: str,
        *,
        auth: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> AsyncSlackResponse:
        if auth is not None:
            raw = f"{auth['client_id']}:{auth['client_secret']}".encode()
            basic = "Basic " + base64.b64encode(raw).decode()
            headers = {**(headers or {}), "Authorization": basic}
        return await super().api_call(api_method, headers=headers, **kwargs)


def signed_state(secret: str, *, expires_at: int) -> str:
    """A fresh state: a random nonce and its expiry (epoch seconds), HMAC-SHA256 signed."""
    payload = f"{secrets.token_urlsafe(16)}.{expires_at}"
    return f"{payload}.{_signature(secret, payload)}"


def _signature(secret: str, payload: str) -> str:
    digest = hmac.new(secret.encode(), payload.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


class OneTimeState(AsyncOAuthStateStore):
    """A signed, expiring OAuth ``state`` that is good once.

    Issuing and verifying need no storage, so any replica verifies a state another issued
    (they share ``SLACK_STATE_SECRET``); each state carries a random nonce, and using one
    records its digest in the database (kept until it expires), so a replayed callback is
    refused on every replica. (slack_sdk's ``StatelessOAuthStateStore`` signs the expiry
    alone: two installs begun in the same second would share a state.)

    Args:
        secret: the HMAC key every replica shares.
        used: where used states are recorded.
        clock: the time states expire by.
        seconds: how long an issued state is good for.
    """

    def __init__(self, secret: str, *, used: SqlUsedStates, clock: Clock, seconds: int) -> None:
        self._secret = secret
        self._used = used
        self._clock = clock
        self._seconds = seconds

    @property
    def logger(self) -> logging.Logger:
        """slack_sdk's interface asks for one; this store logs through structlog."""
        return logging.getLogger(__name__)

    async def async_issue(self, *args: object, **kwargs: object) -> str:
        """A fresh signed state."""
        expires = int(self._clock.now().timestamp()) + self._seconds
        return signed_state(self._secret, expires_at=expires)

    async def async_consume(self, state: str) -> bool:
        """True once for a state this app signed that has not expired; False for a forged,
        expired or already used one."""
        payload, _, signature = state.rpartition(".")
        expires = payload.rpartition(".")[2]
        now = self._clock.now()
        if not hmac.compare_digest(signature, _signature(self._secret, payload)):
            log.warning("oauth_state_rejected", reason="bad_signature")
            return False
        if not expires.isdigit() or int(expires) <= now.timestamp():
            log.warning("oauth_state_rejected", reason="expired")
            return False
        digest = hashlib.sha256(state.encode()).hexdigest()
        until = datetime.fromtimestamp(int(expires), UTC)
        if not await self._used.use(digest, expires_at=until, now=now):
            log.warning("oauth_state_rejected", reason="replayed")
            return False
        return True


@dataclass(frozen=True, slots=True)
class Distribution:
    """The pieces of a multi-workspace bot.

    Attributes:
        store: the installations.
        organizations: the organization of each Grid workspace seen.
        tokens: each workspace's bot token, for the Web API client.
        flow: Bolt's install flow (``/slack/install``, ``/slack/oauth_redirect``).
        authorize: Bolt's authorize over ``store``, refreshing tokens near expiry.
    """

    store: SqlInstallationStore
    organizations: SqlOrgWorkspaces
    tokens: TenantTokens
    flow: AsyncOAuthFlow
    authorize: AsyncInstallationStoreAuthorize

    @classmethod
    def build(cls, settings: Settings, database: Database, *, clock: Clock) -> Distribution:
        """Everything OAuth needs, from the ``SLACK_CLIENT_*`` settings (already required)."""
        client_id = str(settings.slack_client_id)
        client_secret = settings.secret("slack_client_secret")
        key = settings.slack_token_encryption_key
        store = SqlInstallationStore(
            database.engine,
            client_id=client_id,
            seal=TokenSeal(key.get_secret_value() if key is not None else None),
        )
        # oauth.v2.access needs no token: a client of its own, pointed at the configured API
        oauth_client = OAuthClient(base_url=settings.slack_api_url)
        minutes = settings.slack_token_rotation_minutes
        rotator = AsyncTokenRotator(
            client_id=client_id, client_secret=client_secret, client=oauth_client
        )
        oauth = AsyncOAuthSettings(
            client_id=client_id,
            client_secret=client_secret,
            scopes=list(BOT_SCOPES),
            user_scopes=[],
            redirect_uri=settings.slack_redirect_uri,
            install_path=INSTALL_PATH,
            redirect_uri_path=REDIRECT_PATH,
            authorization_url=authorization_url(settings.slack_api_url),
            installation_store=store,
            state_store=OneTimeState(
                settings.secret("slack_state_secret"),
                used=SqlUsedStates(database.engine),
                clock=clock,
                seconds=STATE_SECONDS,
            ),
            state_expiration_seconds=STATE_SECONDS,
            token_rotation_expiration_minutes=minutes,
        )
        organizations = SqlOrgWorkspaces(database.engine)
        tokens = TenantTokens(
            store,
            organizations=organizations,
            clock=clock,
            rotator=rotator,
            minutes_before_expiration=minutes,
        )
        return cls(
            store,
            organizations,
            tokens,
            AsyncOAuthFlow(client=oauth_client, settings=oauth),
            AsyncInstallationStoreAuthorize(
                logger=logging.getLogger("slack_bolt.authorization"),
                installation_store=store,
                client_id=client_id,
                client_secret=client_secret,
                token_rotation_expiration_minutes=minutes,
                client=oauth_client,
            ),
        )

    async def removed(self, tenant: Tenant, *, reason: str, runs: Runs) -> int:
        """The workspace (organization) removed the app or revoked the bot's token: forget
        its installations and token, and end its requests not yet running (for an org-wide
        install, those of every workspace it served). Returns how many requests ended."""
        await self.store.async_delete_all(
            enterprise_id=tenant.enterprise_id,
            team_id=None if tenant.is_enterprise_install else tenant.team_id,
        )
        self.tokens.forget(tenant)
        withdrawn = 0
        served = await self._served(tenant)
        for team_id in served:
            withdrawn += await runs.withdraw_workspace(team_id, reason=reason)
        log.warning(
            "workspace_removed",
            reason=reason,
            team_id=tenant.team_id,
            enterprise_id=tenant.enterprise_id,
            org_wide=tenant.is_enterprise_install,
            workspaces=len(served),
            requests_cancelled=withdrawn,
        )
        return withdrawn

    async def _served(self, tenant: Tenant) -> list[str]:
        """The workspaces whose work the removed installation served: the workspace, or
        every workspace seen in the organization that has no install of its own."""
        if not tenant.is_enterprise_install or tenant.enterprise_id is None:
            return [] if tenant.team_id is None else [tenant.team_id]
        seen = await self.organizations.workspaces_of(tenant.enterprise_id)
        teams = sorted({*seen, *([tenant.team_id] if tenant.team_id else [])})
        return [
            team
            for team in teams
            if await self.store.async_find_bot(enterprise_id=tenant.enterprise_id, team_id=team)
            is None
        ]
