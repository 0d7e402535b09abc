"""``POST /pagerduty/webhooks``: PagerDuty's V3 webhooks, verified, read, and put on the Slack
incident they are about (:class:`~agents.incidents.pagerduty_news.PagerDutyUpdates`).

Statuses (PagerDuty retries a 5xx, a 429 or no answer, and drops any other 4xx):

| delivery | status |
| --- | --- |
| no ``X-PagerDuty-Signature`` or no ``v1`` signature in it | 400 ``missing_signature`` |
| no ``v1`` signature matches a configured secret | 401 ``invalid_signature`` |
| not a V3 payload | 400 ``malformed_body`` |
| ``occurred_at`` too old, or in the future (a replay) | 400 ``stale``, ``from_the_future`` |
| authentic: applied, a duplicate, an unknown incident, an event type we ignore | 202 |
| the database failed | 503 (PagerDuty retries; the event id keeps it once) |

Each delivery gets one log line (``pagerduty_webhook`` with its outcome, or
``pagerduty_webhook_rejected`` with the reason); neither a secret nor the body is logged.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import KW_ONLY, dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

import structlog
from aiohttp import web

from agents.incidents.pagerduty_news import PagerDutyUpdates
from agents.kernel.clock import Clock
from agents.kernel.errors import ConfigError, StorageError
from bot.config_file import LoadedConfig

if TYPE_CHECKING:  # the foundation checks the secrets with this module at start-up
    from bot.foundation import Foundation

__all__ = [
    "PAGERDUTY_WEBHOOK_PATH",
    "PagerDutyWebhook",
    "pagerduty_webhook",
    "webhook_secrets",
]

log = structlog.get_logger(__name__)

PAGERDUTY_WEBHOOK_PATH = "/pagerduty/webhooks"
_MAX_BODY = 256 * 1024
"""PagerDuty drops any webhook larger than this, so a larger body is none of its."""


@dataclass(frozen=True, slots=True)
class PagerDutyWebhook:
    """The endpoint, with the signing secrets (never logged) it checks deliveries against."""

    updates: PagerDutyUpdates
    _: KW_ONLY
    secrets: tuple[str, ...] = field(repr=False)
    max_age: timedelta
    clock: Clock

    async def receive(self, request: web.Request) -> web.Response:
        """Verify, read and apply one delivery (see the module docstring for statuses)."""
        # Imported by :func:`pagerduty_webhook` when configured; a bot without it never does.
        from bot.integrations.pagerduty.webhooks import (
            SIGNATURE_HEADER,
            Ignored,
            Refused,
            read_news,
            verify_signature,
        )

        if (request.content_length or 0) > _MAX_BODY:
            return _rejected("too_large", 413)
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return _rejected("too_large", 413)
        verdict = verify_signature(body, request.headers.get(SIGNATURE_HEADER), self.secrets)
        if verdict == "missing":
            return _rejected("missing_signature", 400)
        if verdict == "forged":
            return _rejected("invalid_signature", 401)
        news = read_news(body, now=self.clock.now(), max_age=self.max_age)
        if isinstance(news, Refused):
            return _rejected(news.reason, news.status)
        if isinstance(news, Ignored):
            log.info(
                "pagerduty_webhook",
                outcome="ignored",
                event_id=news.event_id,
                event_type=news.event_type,
            )
            return web.Response(status=202)
        try:
            await self.updates.receive(news)
        except StorageError:
            log.exception("pagerduty_webhook_failed", event_id=news.event_id)
            return web.Response(status=503)
        return web.Response(status=202)


def _rejected(reason: str, status: int) -> web.Response:
    log.warning("pagerduty_webhook_rejected", reason=reason, status=status)
    return web.Response(status=status)


def webhook_secrets(config: LoadedConfig, environ: Mapping[str, str]) -> tuple[str, ...]:
    """The webhook signing secrets (empty: webhooks are not configured).

    Raises:
        ConfigError: a secret's variable is not set or empty (start-up stops: an endpoint
            that cannot verify would refuse every delivery).
    """
    settings = config.pagerduty
    names = settings.webhook_secret_envs if settings is not None else ()
    for name in names:
        if not environ.get(name):
            raise ConfigError(name, "is not set (pagerduty.webhooks.secrets)")
    return tuple(environ[name] for name in names)


def pagerduty_webhook(base: Foundation, updates: PagerDutyUpdates) -> PagerDutyWebhook | None:
    """The endpoint when ``pagerduty.webhooks`` is configured (None otherwise).

    Raises:
        ConfigError: as :func:`webhook_secrets`.
    """
    config = base.config
    secrets = webhook_secrets(config, base.environ)
    if config.pagerduty is None or not secrets:
        return None
    max_age = config.pagerduty.webhook_max_age
    import bot.integrations.pagerduty.webhooks  # noqa: F401 (its models, built before traffic)

    return PagerDutyWebhook(updates, secrets=secrets, max_age=max_age, clock=base.clock)
