"""The Slack Web API client: pointed at the configured base URL, with the SDK's retry handlers
and one :class:`~bot.slack_gate.SlackGate` before every call, whose rate-limit windows are
kept per workspace (the one the call acts for) and method.

Retries are slack_sdk's built-in handlers (named here, in one place): a 5xx or a dropped
connection is retried with jittered backoff (but a post that may have reached Slack is not
posted again blindly: see :data:`POSTS_A_MESSAGE`). A 429 is retried by the gated client
through the gate, which shares its ``Retry-After`` window with every call of that method
for that workspace, so none goes inside it (other workspaces' calls are not held). While Slack is
unreachable the gate lets one probe through at a time and holds the rest. Posting a reply
twice is prevented one level up (replies carry their trace id in message metadata and
recovery looks for it), which is what makes retrying ``chat.postMessage`` acceptable.

Every call's arguments first pass the :class:`~handlers.links.LinkPolicy` the client was
given: links only to allowed hosts, unfurls off on every post, whichever path posts it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

import aiohttp
import structlog
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from agents.kernel.tenancy import acting_workspace
from bot.slack_gate import SlackGate
from bot.tenant_tokens import NoToken, TenantTokens
from handlers.links import LinkPolicy

__all__ = [
    "RATE_LIMIT_RETRIES",
    "TOKENLESS",
    "GatedWebClient",
    "SlackConnection",
    "build_web_client",
    "retry_handlers",
]

log = structlog.get_logger(__name__)

TOKENLESS = frozenset({"api.test", "oauth.v2.access", "oauth.v2.exchange", "apps.connections.open"})
"""Methods that act for no workspace: a multi-workspace client adds no workspace's token to
them (they need none, or carry their own: ``apps.connections.open``, Socket Mode's, the
app-level token that serves every installed workspace)."""

RATE_LIMIT_RETRIES = 3
SERVER_ERROR_RETRIES = 2
CONNECTION_ERROR_RETRIES = 2
POSTS_A_MESSAGE = frozenset({"chat.postMessage"})
"""Methods that post one more message each time Slack applies them. A connection that broke
mid-call may have been applied, so the client does not repeat such a call blindly (only one
that never connected); a reply's own retry first looks for it by its trace id."""
WEB_API_TIMEOUT_SECONDS = 10
OUTAGE_WAIT = 1.0
"""Seconds a call waits at the gate while Slack is unreachable, before it is refused."""


def retry_after(headers: Any) -> float:
    """Seconds a 429's ``Retry-After`` header asks for (1 when it is missing or unreadable)."""
    for name, value in dict(headers or {}).items():
        if str(name).lower() == "retry-after":
            raw = value[0] if isinstance(value, list | tuple) and value else value
            try:
                return max(float(raw), 0.0)
            except (TypeError, ValueError):
                return 1.0
    return 1.0


def method_of(url: str) -> str:
    """The Web API method a request URL calls (``…/api/chat.postMessage``)."""
    return urlparse(url).path.rstrip("/").rsplit("/", 1)[-1]


class _ConnectionErrorRetryHandler(AsyncConnectionErrorRetryHandler):
    """slack_sdk's handler for broken connections, except for a call of
    :data:`POSTS_A_MESSAGE` that may have reached Slack (a second post would be a duplicate)."""

    async def _can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if method_of(request.url) in POSTS_A_MESSAGE and not isinstance(
            error, aiohttp.ClientConnectorError
        ):
            return False
        return await super()._can_retry_async(
            state=state, request=request, response=response, error=error
        )


def retry_handlers(*, rate_limits: bool = True) -> list[AsyncRetryHandler]:
    """The retry policies every Web API call goes through (``rate_limits`` False: a 429 is
    not retried here, because the gated client retries it through the gate)."""
    handlers: list[AsyncRetryHandler] = [
        AsyncServerErrorRetryHandler(max_retry_count=SERVER_ERROR_RETRIES),
        _ConnectionErrorRetryHandler(max_retry_count=CONNECTION_ERROR_RETRIES),
    ]
    if rate_limits:
        handlers.insert(0, AsyncRateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES))
    return handlers


class GatedWebClient(AsyncWebClient):
    """An ``AsyncWebClient`` whose every call passes the :class:`SlackGate` first, in the
    lane of the workspace it acts for, and tells it what came of the call.

    Args:
        gate: the gate (shared by every client of the process; windows per workspace).
        wait: wait at the gate (False: a closed gate raises
            :class:`~bot.slack_gate.GateClosed` at once).
        outage_wait: seconds a call waits for an unreachable Slack before it is refused
            (the caller keeps what it had to send and tries again later).
        links: what every call's arguments pass before they leave (None: nothing).
        tokens: each workspace's token (None: the one token the client was made with); a
            call with no token for the workspace it acts for fails as ``invalid_auth``
            without leaving the process.
    """

    def __init__(
        self,
        *args: Any,
        gate: SlackGate,
        wait: bool = True,
        outage_wait: float = OUTAGE_WAIT,
        links: LinkPolicy | None = None,
        tokens: TenantTokens | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.gate = gate
        self._wait = wait
        self._outage_wait = outage_wait
        self._links = links
        self._tokens = tokens

    def _workspace(self) -> str | None:
        """The workspace a call's rate limit is counted in: the one it acts for (many
        workspaces; an org-level call naming no workspace, its organization), or None (one
        workspace: every call is its)."""
        tenant = acting_workspace() if self._tokens is not None else None
        if tenant is None:
            return None
        return tenant.team_id or tenant.enterprise_id

    async def _authorization(self, api_method: str) -> dict[str, str]:
        """The header carrying the acting workspace's token (multi-workspace only)."""
        if self._tokens is None or api_method in TOKENLESS:
            return {}
        tenant = acting_workspace()
        try:
            token = await self._tokens.bot_token(tenant)
        except NoToken as exc:
            log.warning(
                "slack_call_without_token",
                method=api_method,
                reason=exc.reason,
                team_id=tenant.team_id if tenant is not None else None,
                enterprise_id=tenant.enterprise_id if tenant is not None else None,
                org_wide=tenant.is_enterprise_install if tenant is not None else None,
            )
            data = {"ok": False, "error": "invalid_auth"}
            response = AsyncSlackResponse(
                client=self,
                http_verb="POST",
                api_url=self.base_url + api_method,
                req_args={},
                data=data,
                headers={},
                status_code=200,
            )
            message = f"no token to act for this workspace ({exc.reason})"
            raise SlackApiError(message, response) from None  # type: ignore[no-untyped-call]
        return {"Authorization": f"Bearer {token}"}

    async def api_call(self, api_method: str, **kwargs: Any) -> AsyncSlackResponse:
        authorization = await self._authorization(api_method)
        if authorization:
            kwargs["headers"] = {**(kwargs.get("headers") or {}), **authorization}
        gate, workspace = self.gate, self._workspace()
        retries = RATE_LIMIT_RETRIES if self._wait else 0
        links, guarded = self._links, False
        for attempt in range(retries + 1):
            ticket = await gate.admit(
                api_method, workspace=workspace, wait=self._wait, outage_wait=self._outage_wait
            )
            try:
                if links is not None and not guarded:  # once let through: not for a refusal
                    for form in ("json", "data"):  # the message methods send theirs as JSON
                        if isinstance(kwargs.get(form), dict):
                            kwargs[form] = links.guard(api_method, kwargs[form])
                    guarded = True
                response = await super().api_call(api_method, **kwargs)
            except SlackApiError as exc:
                status = getattr(exc.response, "status_code", 200)
                if status == 429:
                    pause = retry_after(getattr(exc.response, "headers", None))
                    gate.settle(ticket, "rate_limited", retry_after=pause)
                    if attempt < retries:
                        continue  # the next admit waits the window out, with everyone
                elif isinstance(status, int) and status >= 500:
                    gate.settle(ticket, "unreachable")
                else:
                    gate.settle(ticket, "reached")
                raise
            except (aiohttp.ClientError, TimeoutError, OSError):
                gate.settle(ticket, "unreachable")
                raise
            except BaseException:
                gate.settle(ticket, "cancelled")
                raise
            gate.settle(ticket, "reached")
            return response
        raise AssertionError("unreachable: the last attempt returns or raises")


def build_web_client(
    *,
    token: str | None,
    base_url: str,
    session: aiohttp.ClientSession,
    gate: SlackGate,
    retry: bool = True,
    links: LinkPolicy | None = None,
    tokens: TenantTokens | None = None,
) -> AsyncWebClient:
    """An ``AsyncWebClient`` for ``base_url`` sharing ``session``, with the policies above
    (``retry`` False: none, and the gate refuses instead of waiting, for calls whose failure
    has a better answer than waiting); every call passes ``gate``, then ``links``, and acts
    with ``token`` or, in a multi-workspace bot, the acting workspace's from ``tokens``."""
    options: dict[str, Any] = {
        "token": token,
        "base_url": base_url,
        "session": session,
        "timeout": WEB_API_TIMEOUT_SECONDS,
        "retry_handlers": retry_handlers(rate_limits=False) if retry else [],
    }
    return GatedWebClient(gate=gate, wait=retry, links=links, tokens=tokens, **options)


@dataclass(frozen=True, slots=True)
class SlackConnection:
    """A running bot's way to Slack: one HTTP session and two Web API clients over it.

    Attributes:
        client: every call that must reach Slack (retried on a 429, a 5xx, a dropped
            connection; held at the gate while Slack is unreachable).
        live: what a person watches while a turn works (status, streamed text): never
            retried nor held, because a status that waits for a rate limit is worse than
            none and a stream Slack refused falls back to posting the answer.
        gate: the rate-limit windows (per workspace and method) and Slack's reachability,
            shared by both.
    """

    session: aiohttp.ClientSession
    client: AsyncWebClient
    live: AsyncWebClient
    gate: SlackGate

    @classmethod
    def open(
        cls,
        *,
        token: str | None,
        base_url: str,
        links: LinkPolicy,
        middlewares: Sequence[aiohttp.ClientMiddlewareType] = (),
        tokens: TenantTokens | None = None,
    ) -> SlackConnection:
        """A session (its requests passing ``middlewares``) and clients for ``base_url``
        whose every call passes ``links`` and acts with ``token`` (or per workspace, with
        ``tokens``)."""
        session = aiohttp.ClientSession(middlewares=middlewares)
        gate = SlackGate()
        common: dict[str, Any] = {
            "token": token,
            "base_url": base_url,
            "session": session,
            "gate": gate,
            "links": links,
            "tokens": tokens,
        }
        return cls(
            session,
            build_web_client(**common),
            build_web_client(retry=False, **common),
            gate,
        )
