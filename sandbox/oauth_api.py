"""The OAuth Web API methods: ``oauth.v2.access``, ``oauth.v2.exchange`` (the app's client id
and secret, no token) and ``auth.revoke`` (the token revokes itself)."""

from __future__ import annotations

from sandbox.apicore import ApiContext, ApiError, Method, flag
from sandbox.records import JSON

__all__ = ["OAUTH_METHODS"]


def oauth_v2_access(ctx: ApiContext, args: JSON) -> JSON:
    """``oauth.v2.access``: a code (or a refresh token) for a bot token."""
    return ctx.workspace.oauth.access(args)


def oauth_v2_exchange(ctx: ApiContext, args: JSON) -> JSON:
    """``oauth.v2.exchange``: a long-lived token for a rotating one."""
    return ctx.workspace.oauth.exchange(args)


def auth_revoke(ctx: ApiContext, args: JSON) -> JSON:
    """``auth.revoke``: the calling token stops working (``test``: it would)."""
    if ctx.grant is None:
        raise ApiError("not_allowed_token_type")  # the sandbox's own token is not revocable
    if not flag(args, "test"):
        ctx.workspace.oauth.revoke(ctx.grant.token)
    return {"revoked": not flag(args, "test")}


OAUTH_METHODS: dict[str, Method] = {
    "oauth.v2.access": Method(oauth_v2_access, accepts="client"),
    "oauth.v2.exchange": Method(oauth_v2_exchange, accepts="client"),
    "auth.revoke": Method(auth_revoke),
}
