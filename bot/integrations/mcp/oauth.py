"""OAuth for MCP servers over Streamable HTTP, by the client credentials grant (RFC 6749
§4.4): the bot is the client, with no person and no browser involved.

The SDK's :class:`~mcp.client.auth.extensions.client_credentials.ClientCredentialsOAuthProvider`
does the work as the HTTP client's ``auth``: on a 401 it discovers the server's protected
resource metadata (RFC 9728) and its authorization server's metadata (RFC 8414), asks the token
endpoint for a token with the client's id and secret, and sends the request again with it.
:class:`ClientCredentials` adds what a long-running bot needs besides: a token is renewed a
little *before* it expires (the grant has no refresh token; otherwise the first request after
expiry would go out without one and come back 401), a ``token_url`` in the config is used
instead of the discovered one, and tokens are kept in memory only (:class:`MemoryTokens`):
never written anywhere, never logged.

The client secret is resolved from the environment (``${VAR}``) when the provider is made.
"""

from __future__ import annotations

import warnings
from collections.abc import AsyncGenerator, Mapping
from typing import TYPE_CHECKING, Literal, cast

from mcp.client.auth.extensions.client_credentials import ClientCredentialsOAuthProvider
from mcp.shared.exceptions import MCPDeprecationWarning

from bot.config_file import McpOAuth
from bot.config_file.templates import MissingEnvironmentVariable, resolve_env

if TYPE_CHECKING:
    import httpx2
    from mcp.shared.auth import OAuthClientInformationFull, OAuthToken

__all__ = ["EARLY", "ClientCredentials", "MemoryTokens", "client_credentials"]

EARLY = 30.0
"""Seconds before its expiry a token is renewed (at most a tenth of its lifetime)."""


class MemoryTokens:
    """The SDK's ``TokenStorage`` in memory: tokens live as long as the connection."""

    def __init__(self) -> None:
        self._tokens: OAuthToken | None = None
        self._client: OAuthClientInformationFull | None = None

    async def get_tokens(self) -> OAuthToken | None:
        """The current token, if any."""
        return self._tokens

    async def set_tokens(self, tokens: OAuthToken) -> None:
        """Keep the new token."""
        self._tokens = tokens

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        """The client (its id and secret, from the config)."""
        return self._client

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        """Keep the client."""
        self._client = client_info


class ClientCredentials(ClientCredentialsOAuthProvider):
    """The SDK's client credentials provider, renewing early and honouring ``token_url``."""

    def __init__(self, server_url: str, oauth: McpOAuth, secret: str) -> None:
        method = cast("Literal['client_secret_basic', 'client_secret_post']", oauth.auth_method)
        with warnings.catch_warnings():
            # Without an issuer the token endpoint is the configured token_url (see
            # _get_token_endpoint), so the SDK's warning about trusting discovery is moot.
            warnings.simplefilter("ignore", MCPDeprecationWarning)
            super().__init__(
                server_url,
                MemoryTokens(),
                oauth.client_id,
                secret,
                token_endpoint_auth_method=method,
                scope=oauth.scope,
                issuer=oauth.issuer,
            )
        self._token_url = oauth.token_url

    def _get_token_endpoint(self) -> str:
        return self._token_url or super()._get_token_endpoint()

    async def _handle_token_response(self, response: httpx2.Response) -> None:
        await super()._handle_token_response(response)
        context = self.context
        tokens = context.current_tokens
        if context.token_expiry_time is not None and tokens is not None and tokens.expires_in:
            context.token_expiry_time -= min(EARLY, tokens.expires_in / 10)

    async def _auth_flow(
        self, request: httpx2.Request
    ) -> AsyncGenerator[httpx2.Request, httpx2.Response]:
        """Renew an expiring token first (when its token endpoint is known), then the SDK's
        flow (which also answers a 401 by getting a new token and sending again)."""
        context = self.context
        if (
            self._initialized
            and context.current_tokens is not None
            and not context.is_token_valid()
            and (context.oauth_metadata is not None or self._issuer is None)
        ):
            async with context.lock:
                if not context.is_token_valid():  # another request may have renewed it
                    token_response = yield await self._exchange_token_client_credentials()
                    await self._handle_token_response(token_response)
        flow = super()._auth_flow(request)
        try:
            outgoing = await flow.__anext__()
            while True:
                outgoing = await flow.asend((yield outgoing))
        except StopAsyncIteration:
            return


def client_credentials(
    url: str, oauth: McpOAuth | None, environ: Mapping[str, str]
) -> ClientCredentials | None:
    """The auth of an HTTP client for the server at ``url``, if it has ``oauth``.

    Raises:
        MissingEnvironmentVariable: the client secret's variable is not set.
    """
    if oauth is None:
        return None
    try:
        secret = resolve_env(oauth.client_secret, environ)
    except MissingEnvironmentVariable as exc:
        exc.needing = "the oauth client_secret"  # type: ignore[attr-defined]
        raise
    return ClientCredentials(url, oauth, secret)
