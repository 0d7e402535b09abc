"""The Bolt app and what it listens with: messages and ``/ops``, approval buttons and forms,
the ask-back buttons, feedback and the App Home, incident roles and pins."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.app.async_app import AsyncApp
from slack_bolt.logger import get_bolt_logger
from slack_bolt.logger.messages import warning_token_skipped
from slack_bolt.middleware.async_middleware import AsyncMiddleware
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

from agents.feedback.review import Review
from agents.kernel.clock import Clock
from agents.turns.ports import ViewContexts
from bot.config import Settings
from bot.distribution import Distribution
from bot.metrics import Metrics
from bot.tenant_tokens import TenantTokens
from bot.wiring import Domain
from handlers import TurnRunner, register
from handlers.agent_dm import register_agent_dm
from handlers.approvals import register_approvals
from handlers.authorization import BotIdentity
from handlers.bookkeeping import Bookkeeping
from handlers.feedback import register_feedback
from handlers.incident_paging import register_incident_paging
from handlers.incidents import register_incidents
from handlers.installs import InstallEffects, register_installs
from handlers.middleware import request_tenant
from handlers.ports import Participation
from handlers.routing import register_routing

__all__ = ["bolt_app", "listen"]


def bolt_app(
    settings: Settings,
    client: AsyncWebClient,
    *,
    socket_mode: bool,
    distribution: Distribution | None = None,
) -> AsyncApp:
    """The Bolt app: signatures verified over HTTP (Socket Mode is authenticated itself).

    One workspace (``distribution`` None): the bot's identity learned before authorizing,
    so a request that cannot be authorized yet is refused for Slack to retry
    (:mod:`handlers.authorization`). Many: Bolt's OAuth flow and authorize over the stored
    installations (:mod:`bot.distribution`)."""
    common: dict[str, Any] = {
        "client": client,
        "signing_secret": "" if socket_mode else settings.secret("slack_signing_secret"),
        "request_verification_enabled": not socket_mode,
        "process_before_response": False,
        # Unhandled requests reach the error handler (one log line, no payload) instead of
        # Bolt's warning, which quotes the payload's ids.
        "raise_error_for_unhandled_request": True,
        # No listener takes the assistant helpers (say, set_status, say_stream...) that Bolt
        # otherwise attaches, before every listener, to each event carrying a channel.
        "attaching_conversation_kwargs_enabled": False,
    }
    if distribution is not None:
        app = AsyncApp(
            oauth_flow=distribution.flow,
            # Bolt takes an AsyncAuthorize instance too (typed as the plain callable)
            authorize=distribution.authorize,  # type: ignore[arg-type]
            **common,
        )
        app.middleware(_Learning(distribution.tokens))
        return app
    identity = BotIdentity(client)
    _quiet_expected_token_notice()
    return AsyncApp(
        before_authorize=identity.middleware(),
        authorize=identity.authorize(),  # type: ignore[arg-type]  # an AsyncAuthorize, as above
        **common,
    )


class _ExpectedTokenNotice(logging.Filter):
    """Drops Bolt's warning that the client's token is ignored because ``authorize`` is given:
    one workspace is built that way on purpose (the identity's ``authorize`` gives every
    request the same token), so every start printed a warning nobody could act on."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != warning_token_skipped()


def _quiet_expected_token_notice() -> None:
    bolt_logger = get_bolt_logger(AsyncApp)
    if not any(isinstance(f, _ExpectedTokenNotice) for f in bolt_logger.filters):
        bolt_logger.addFilter(_ExpectedTokenNotice())


class _Learning(AsyncMiddleware):
    """Middleware: record which organization a Grid workspace's request came from (a Bolt
    middleware class: Bolt calls it without building injected arguments)."""

    def __init__(self, tokens: TenantTokens) -> None:
        self._tokens = tokens

    async def async_process(
        self,
        *,
        req: AsyncBoltRequest,
        resp: BoltResponse,
        next: Callable[[], Awaitable[BoltResponse]],
    ) -> BoltResponse | None:
        await self._tokens.learn(request_tenant(req.body, req.context))
        await next()
        return None


def listen(
    app: AsyncApp,
    domain: Domain,
    *,
    runner: TurnRunner,
    book: Bookkeeping,
    participation: Participation,
    review: Review,
    metrics: Metrics,
    contexts: ViewContexts,
    clock: Clock,
    installs: InstallEffects | None = None,
) -> None:
    """Attach every middleware and listener to ``app`` (``installs``: many workspaces, the
    uninstall events' listeners too)."""
    register(
        app,
        runner=runner,
        book=book,
        participation=participation,
        erasure=domain.erasure,
        meter=metrics,
    )
    operations = domain.operations
    register_approvals(app, decisions=operations.decisions, catalog=operations.catalog)
    register_routing(app, runner=runner, book=book)
    register_agent_dm(app, suggestions=domain.suggestions, contexts=contexts, clock=clock)
    register_feedback(app, review=review)
    register_incidents(app, roles=domain.incidents.roles, pins=domain.incidents.pins)
    register_incident_paging(app, buttons=domain.incidents.page_buttons, runner=runner, book=book)
    if installs is not None:
        register_installs(app, installs=installs)
