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
- ``app_uninstalled`` and ``tokens_revoked`` (bot) delete the workspace's installations,
  forget its cached token, and end its requests not yet running as ``cancelled`` (audited
  with the reason).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta

import structlog
from slack_bolt.authorization.async_authorize import AsyncInstallationStoreAuthorize
from slack_bolt.oauth.async_oauth_flow import AsyncOAuthFlow
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore
from slack_sdk.oauth.state_store.stateless import StatelessOAuthStateStore
from slack_sdk.oauth.token_rotation.async_rotator import AsyncTokenRotator
from slack_sdk.web.async_client import AsyncWebClient

from agents.actions.runs import Runs
from agents.kernel.clock import Clock
from agents.kernel.tenancy import Tenant
from bot.config import Settings
from bot.tenant_tokens import TenantTokens
from storage import Database
from storage.installations import SqlInstallationStore, SqlUsedStates, TokenSeal

__all__ = [
    "BOT_SCOPES",
    "INSTALL_PATH",
    "REDIRECT_PATH",
    "STATE_SECONDS",
    "Distribution",
    "OneTimeState",
    "authorization_url",
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
)
"""The bot scopes an install asks for: exactly manifest.yaml's (a test keeps them equal)."""


def authorization_url(api_url: str) -> str:
    """Slack's authorize page beside the Web API base (``https://slack.com/api/`` ->
    ``https://slack.com/oauth/v2/authorize``; the sandbox's likewise)."""
    return api_url.removesuffix("/").removesuffix("/api") + "/oauth/v2/authorize"


class OneTimeState(AsyncOAuthStateStore):
    """A signed, expiring OAuth ``state`` (stateless to issue and verify) that is good once.

    Args:
        secret: the HMAC key every replica shares (``SLACK_STATE_SECRET``).
        used: where used states are recorded.
        clock: the time used states are kept against.
        seconds: how long an issued state is good for.
    """

    def __init__(self, secret: str, *, used: SqlUsedStates, clock: Clock, seconds: int) -> None:
        self._signed = StatelessOAuthStateStore(expiration_seconds=seconds, signing_secret=secret)
        self._used = used
        self._clock = clock
        self._seconds = seconds

    @property
    def logger(self):  # type: ignore[no-untyped-def]  # slack_sdk's untyped interface
        return self._signed.logger

    async def async_issue(self, *args: object, **kwargs: object) -> str:
        """A fresh signed state."""
        return await self._signed.async_issue()

    async def async_consume(self, state: str) -> bool:
        """True once for a state this app signed that has not expired; False for a forged,
        expired or already used one."""
        if not await self._signed.async_consume(state):
            log.warning("oauth_state_rejected", reason="bad_or_expired")
            return False
        now = self._clock.now()
        digest = hashlib.sha256(state.encode()).hexdigest()
        expires = now + timedelta(seconds=self._seconds)
        if not await self._used.use(digest, expires_at=expires, now=now):
            log.warning("oauth_state_rejected", reason="replayed")
            return False
        return True


@dataclass(frozen=True, slots=True)
class Distribution:
    """The pieces of a multi-workspace bot.

    Attributes:
        store: the installations.
        tokens: each workspace's bot token, for the Web API client.
        flow: Bolt's install flow (``/slack/install``, ``/slack/oauth_redirect``).
        authorize: Bolt's authorize over ``store``, refreshing tokens near expiry.
    """

    store: SqlInstallationStore
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
        oauth_client = AsyncWebClient(base_url=settings.slack_api_url)
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
        return cls(
            store,
            TenantTokens(store, rotator=rotator, minutes_before_expiration=minutes),
            AsyncOAuthFlow(client=oauth_client, settings=oauth),
            AsyncInstallationStoreAuthorize(
                logger=oauth.logger,
                installation_store=store,
                client_id=client_id,
                client_secret=client_secret,
                token_rotation_expiration_minutes=minutes,
                client=oauth_client,
            ),
        )

    async def removed(self, tenant: Tenant, *, reason: str, runs: Runs) -> int:
        """The workspace (organization) removed the app or revoked the bot's token: forget
        its installations and token, and end its requests not yet running. Returns how many
        requests ended."""
        await self.store.async_delete_all(
            enterprise_id=tenant.enterprise_id,
            team_id=None if tenant.is_enterprise_install else tenant.team_id,
        )
        self.tokens.forget(tenant)
        withdrawn = 0
        if tenant.team_id is not None:
            withdrawn = await runs.withdraw_workspace(tenant.team_id, reason=reason)
        log.warning(
            "workspace_removed",
            reason=reason,
            team_id=tenant.team_id,
            enterprise_id=tenant.enterprise_id,
            requests_cancelled=withdrawn,
        )
        return withdrawn
