"""Slack's OAuth v2 for the sandbox app: the authorize page, ``oauth.v2.access`` (code and
refresh-token grants), ``oauth.v2.exchange``, ``auth.revoke``, and the bot tokens they issue.

The authorize page stands in for a person clicking *Allow*: it redirects at once to the
redirect URL with a one-time code (valid ten minutes, as Slack's) and the ``state`` it was
given, installing into the workspace (or Enterprise Grid organization) the test planned with
:meth:`OAuthBook.plan`. The tokens it issues act for that workspace: ``auth.test`` answers
with it, every call is recorded with its token, and a revoked or expired token is refused
(``token_revoked``, ``token_expired``) as Slack refuses it. With :attr:`OAuthBook.rotation`
on, bot tokens expire after :attr:`OAuthBook.token_ttl` seconds and come with a refresh token.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlencode

from sandbox.apierror import ApiError, missing
from sandbox.records import JSON

__all__ = ["CODE_TTL", "Grant", "InstallPlan", "OAuthBook", "basic_credentials"]

CODE_TTL = 600.0
"""Seconds an authorization code stays good (Slack: ten minutes)."""


@dataclass(frozen=True, slots=True)
class InstallPlan:
    """Where the next install lands and who installs.

    Attributes:
        team_id: the workspace (None for an org-wide install).
        enterprise_id: the Enterprise Grid organization, if any.
        org_wide: installed for the whole organization.
        user_id: the installing person.
    """

    team_id: str | None
    team_name: str = "Sandbox"
    enterprise_id: str | None = None
    enterprise_name: str | None = None
    org_wide: bool = False
    user_id: str = "U0ALICE"


@dataclass(slots=True)
class Grant:
    """A bot token the sandbox issued, and for whom it acts."""

    token: str
    plan: InstallPlan
    scope: str
    expires_at: float | None
    refresh_token: str | None
    revoked: bool = False


@dataclass(slots=True)
class _Code:
    plan: InstallPlan
    scope: str
    redirect_uri: str | None
    expires_at: float
    used: bool = False


def basic_credentials(header: str) -> tuple[str, str] | None:
    """``client_id`` and ``client_secret`` from an ``Authorization: Basic`` header."""
    if not header.startswith("Basic "):
        return None
    try:
        decoded = base64.b64decode(header.removeprefix("Basic ").strip()).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    client_id, _, secret = decoded.partition(":")
    return client_id, secret


@dataclass
class OAuthBook:
    """The sandbox app's OAuth client and every token it issued."""

    clock: Callable[[], float]
    app_id: str
    bot_user_id: str
    default_plan: InstallPlan
    client_id: str = "1111.2222"
    client_secret: str = field(default_factory=lambda: secrets.token_hex(16))
    redirect_urls: list[str] = field(default_factory=list)
    """The app's configured redirect URLs (an authorize request must use one of them)."""
    rotation: bool = False
    token_ttl: int = 43200
    grants: dict[str, Grant] = field(default_factory=dict)
    _codes: dict[str, _Code] = field(default_factory=dict)
    _refresh: dict[str, str] = field(default_factory=dict)
    _next: InstallPlan | None = None

    def plan(self, plan: InstallPlan) -> None:
        """Install the next authorization into ``plan``'s workspace (once)."""
        self._next = plan

    # -- the authorize page ----------------------------------------------------------------

    def authorize(self, query: dict[str, str]) -> tuple[int, str]:
        """``GET /oauth/v2/authorize``: (302, the redirect location) or (400, an error)."""
        if query.get("client_id") != self.client_id:
            return 400, "invalid_client_id"
        configured = self.redirect_urls[0] if self.redirect_urls else None
        redirect = query.get("redirect_uri") or configured
        if redirect is None or redirect not in self.redirect_urls:
            return 400, "bad_redirect_uri"
        code = f"{secrets.randbelow(10**12)}.{secrets.token_hex(12)}"
        plan, self._next = self._next or self.default_plan, None
        self._codes[code] = _Code(
            plan, query.get("scope", ""), query.get("redirect_uri"), self.clock() + CODE_TTL
        )
        answer = {"code": code}
        if "state" in query:
            answer["state"] = query["state"]
        return 302, f"{redirect}?{urlencode(answer)}"

    # -- oauth.v2.access / oauth.v2.exchange ------------------------------------------------

    def _client(self, args: JSON) -> None:
        client_id, secret = args.get("client_id"), args.get("client_secret")
        if not client_id:
            raise missing("client_id")
        if client_id != self.client_id:
            raise ApiError("invalid_client_id")
        if secret != self.client_secret:
            raise ApiError("bad_client_secret")

    def access(self, args: JSON) -> JSON:
        """``oauth.v2.access``: a code for a bot token, or (``grant_type=refresh_token``) a
        refresh token for a fresh one."""
        self._client(args)
        if args.get("grant_type") == "refresh_token":
            return self._refreshed(str(args.get("refresh_token") or ""))
        code = self._codes.get(str(args.get("code") or ""))
        if code is None or code.used or code.expires_at < self.clock():
            raise ApiError("invalid_code")
        code.used = True  # a code is good once, even when the exchange below fails
        if code.redirect_uri is not None and args.get("redirect_uri") != code.redirect_uri:
            raise ApiError("bad_redirect_uri")
        return self._answer(self.issue(code.plan, code.scope, rotating=self.rotation))

    def exchange(self, args: JSON) -> JSON:
        """``oauth.v2.exchange``: a long-lived bot token for a rotating one."""
        self._client(args)
        old = self.grants.get(str(args.get("token") or ""))
        if old is None or old.revoked:
            raise ApiError("invalid_auth")
        if old.refresh_token is not None:
            raise ApiError("token_already_rotating")
        old.revoked = True
        return self._answer(self.issue(old.plan, old.scope, rotating=True))

    def _refreshed(self, refresh_token: str) -> JSON:
        token = self._refresh.pop(refresh_token, None)
        old = self.grants.get(token or "")
        if old is None or old.revoked:
            raise ApiError("invalid_refresh_token")
        old.revoked = True  # the old access token stops when the new one is issued
        return self._answer(self.issue(old.plan, old.scope, rotating=True))

    def issue(self, plan: InstallPlan, scope: str, *, rotating: bool) -> Grant:
        """A bot token for ``plan``'s workspace, as an install issues it."""
        owner = plan.enterprise_id if plan.org_wide else plan.team_id
        prefix = "xoxe.xoxb-1-" if rotating else "xoxb-"
        token = f"{prefix}{owner}-{secrets.token_hex(12)}"
        refresh = f"xoxe-1-{secrets.token_hex(16)}" if rotating else None
        expires = self.clock() + self.token_ttl if rotating else None
        grant = Grant(token, plan, scope=scope, expires_at=expires, refresh_token=refresh)
        self.grants[token] = grant
        if refresh is not None:
            self._refresh[refresh] = token
        return grant

    def _answer(self, grant: Grant) -> JSON:
        """oauth.v2.access's documented answer for ``grant``."""
        plan = grant.plan
        body: JSON = {
            "app_id": self.app_id,
            "authed_user": {"id": plan.user_id},
            "scope": grant.scope,
            "token_type": "bot",
            "access_token": grant.token,
            "bot_user_id": self.bot_user_id,
            "team": None if plan.team_id is None else {"id": plan.team_id, "name": plan.team_name},
            "enterprise": None
            if plan.enterprise_id is None
            else {"id": plan.enterprise_id, "name": plan.enterprise_name or plan.enterprise_id},
            "is_enterprise_install": plan.org_wide,
        }
        if grant.refresh_token is not None and grant.expires_at is not None:
            body["refresh_token"] = grant.refresh_token
            body["expires_in"] = max(int(grant.expires_at - self.clock()), 0)
        return body

    # -- using and revoking tokens ----------------------------------------------------------

    def check(self, token: str) -> Grant | str | None:
        """The grant ``token`` acts with, Slack's error for a dead one, or None (not ours)."""
        grant = self.grants.get(token)
        if grant is None:
            return None
        if grant.revoked:
            return "token_revoked"
        if grant.expires_at is not None and grant.expires_at <= self.clock():
            return "token_expired"
        return grant

    def revoke(self, token: str) -> None:
        """The token stops working (``auth.revoke``, or the app uninstalled)."""
        grant = self.grants.get(token)
        if grant is not None:
            grant.revoked = True

    def revoke_workspace(self, *, team_id: str | None, enterprise_id: str | None = None) -> None:
        """Every token of a workspace (organization) stops working: the app was removed."""
        for grant in self.grants.values():
            plan = grant.plan
            if (team_id is not None and plan.team_id == team_id) or (
                team_id is None and plan.org_wide and plan.enterprise_id == enterprise_id
            ):
                grant.revoked = True
