"""The Bolt app and what it listens with: messages and ``/ops``, approval buttons and forms,
the ask-back buttons, feedback and the App Home, incident roles and pins."""

from __future__ import annotations

from slack_bolt.app.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from agents.feedback.review import Review
from agents.kernel.clock import Clock
from agents.turns.ports import ViewContexts
from bot.config import Settings
from bot.metrics import Metrics
from bot.wiring import Domain
from handlers import TurnRunner, register
from handlers.agent_dm import register_agent_dm
from handlers.approvals import register_approvals
from handlers.authorization import BotIdentity
from handlers.bookkeeping import Bookkeeping
from handlers.feedback import register_feedback
from handlers.incident_paging import register_incident_paging
from handlers.incidents import register_incidents
from handlers.ports import Participation
from handlers.routing import register_routing

__all__ = ["bolt_app", "listen"]


def bolt_app(settings: Settings, client: AsyncWebClient, *, socket_mode: bool) -> AsyncApp:
    """The Bolt app: signatures verified over HTTP (Socket Mode is authenticated itself); the
    bot's identity learned before authorizing, so a request that cannot be authorized yet
    is refused for Slack to retry (:mod:`handlers.authorization`)."""
    identity = BotIdentity(client)
    return AsyncApp(
        client=client,
        before_authorize=identity.middleware(),
        authorize=identity.authorize(),
        signing_secret=("" if socket_mode else settings.secret("slack_signing_secret")),
        request_verification_enabled=not socket_mode,
        process_before_response=False,
        # Unhandled requests reach the error handler (one log line, no payload) instead of
        # Bolt's warning, which quotes the payload's ids.
        raise_error_for_unhandled_request=True,
    )


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
) -> None:
    """Attach every middleware and listener to ``app``."""
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
