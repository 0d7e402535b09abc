"""Who the bot is in its workspace, learned from ``auth.test`` before Bolt authorizes a request.

Bolt's own single-workspace authorization calls ``auth.test`` on a process's first request
and, when Slack does not answer, acks that request (HTTP 200, an apology for a body): Slack
counts it delivered and never retries it, so a message sent to a freshly restarted process
while Slack is down was lost (chaos seed 35). Here the call is made before authorization;
while it fails the request is refused with a 503, which Slack retries, and once it succeeded
every request is authorized from the remembered answer without calling Slack again.

Both pieces are Bolt's own types (an ``AsyncMiddleware`` and an ``AsyncAuthorize``), which
Bolt calls directly; a plain function would be called through Bolt's keyword-argument
injection on every request.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from slack_bolt.authorization.async_authorize import AsyncAuthorize
from slack_bolt.authorization.authorize_result import AuthorizeResult
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.middleware.async_middleware import AsyncMiddleware
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

from agents.kernel.errors import SlackApiFailure
from handlers.slack_calls import call_slack

__all__ = ["BotIdentity"]

log = structlog.get_logger(__name__)

_NO_AUTHORIZATION = frozenset({"url_verification", "ssl_check"})


class BotIdentity(AsyncAuthorize):
    """The bot's ``auth.test`` answer, learned once per process (see the module docstring);
    Bolt's ``authorize`` itself.

    Args:
        client: The Web API client (its token is the bot token).
    """

    def __init__(self, client: AsyncWebClient) -> None:
        self._client = client
        self._result: AuthorizeResult | None = None
        self._learning = asyncio.Lock()

    async def _learn(self) -> AuthorizeResult:
        async with self._learning:
            if self._result is None:
                response = await call_slack("auth.test", self._client.auth_test)
                self._result = AuthorizeResult.from_auth_test_response(
                    bot_token=self._client.token, auth_test_response=response
                )
            return self._result

    def middleware(self) -> AsyncMiddleware:
        """Bolt's ``before_authorize`` middleware: learn the identity, or refuse with 503."""
        return _LearnFirst(self)

    def authorize(self) -> AsyncAuthorize:
        """Bolt's ``authorize``: the remembered answer (learned before, by :meth:`middleware`;
        if not, learned now, and a failure is an error Bolt answers 500 to, so Slack retries)."""
        return self

    async def before_authorize(self, body: dict[str, Any]) -> BoltResponse | None:
        """None once the identity is known (or the request needs none), else the 503."""
        if self._result is None and body.get("type") not in _NO_AUTHORIZATION:
            try:
                await self._learn()
            except SlackApiFailure as exc:
                log.warning("authorization_unavailable", error=exc.error)
                return BoltResponse(status=503, body="")
        return None

    async def __call__(
        self,
        *,
        context: AsyncBoltContext,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None,
        actor_enterprise_id: str | None = None,
        actor_team_id: str | None = None,
        actor_user_id: str | None = None,
    ) -> AuthorizeResult:
        """The remembered answer, or the one learned now (Bolt's call)."""
        return self._result or await self._learn()


class _LearnFirst(AsyncMiddleware):
    def __init__(self, identity: BotIdentity) -> None:
        self._identity = identity

    async def async_process(
        self,
        *,
        req: AsyncBoltRequest,
        resp: BoltResponse,
        next: Callable[[], Awaitable[BoltResponse]],
    ) -> BoltResponse:
        refused = await self._identity.before_authorize(req.body)
        return refused if refused is not None else await next()
