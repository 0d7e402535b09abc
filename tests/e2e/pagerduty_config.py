"""The PagerDuty config the scenarios run with, pointed at the sandbox's PagerDuty stand-in."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

from bot.config_file import LoadedConfig, parse_config
from sandbox import SlackSandbox
from sandbox.pagerduty_api import PagerDutyStandIn
from tests.e2e.conftest import Bot, running_bot

TEMPLATE = """
version: 1
pagerduty:
  api_url: "{base}"
  events_url: "{base}"
  timeout: {timeout}
  services:
    checkout: {{id: PSVC001, routing_key_env: PD_KEY_CHECKOUT}}
    payments: {{id: PSVC002, routing_key_env: PD_KEY_PAYMENTS}}
  approval: {{approvers: {{users: [U0BOB]}}}}
"""


WEBHOOKS = """
  webhooks:
    secrets: [{secrets}]
"""
WEBHOOK_SECRETS = {"PD_WEBHOOK_SECRET": "whsec-current", "PD_WEBHOOK_SECRET_NEXT": "whsec-next"}


def pagerduty_config(
    pd: PagerDutyStandIn, *, timeout: str = "2s", webhook_secrets: tuple[str, ...] = ()
) -> LoadedConfig:
    """The parsed config, with both APIs at the stand-in (and webhooks signed with the
    secrets in the variables named, when some are)."""
    text = TEMPLATE.format(base=pd.base_url, timeout=timeout)
    if webhook_secrets:
        refs = ", ".join(f'"${{{name}}}"' for name in webhook_secrets)
        text += WEBHOOKS.format(secrets=refs)
    return parse_config(text)


def pagerduty_environ(pd: PagerDutyStandIn) -> dict[str, str]:
    """The variables holding the services' routing keys."""
    return {
        "PD_KEY_CHECKOUT": pd.routing_keys["checkout"],
        "PD_KEY_PAYMENTS": pd.routing_keys["payments"],
        **WEBHOOK_SECRETS,
    }


def on_call_now(when: datetime | None = None) -> tuple[str, str]:
    """Who the stand-in's schedule has on call at level 1 now, and who next (it hands over
    weekly, Mondays 09:00 UTC, from 2026-01-05, between Ada and Grace)."""
    moment = when or datetime.now(UTC)
    index = (moment - datetime(2026, 1, 5, 9, 0, tzinfo=UTC)) // timedelta(days=7)
    people = ("Ada Lovelace", "Grace Hopper")
    return people[index % 2], people[(index + 1) % 2]


@contextlib.asynccontextmanager
async def pagerduty_bot(
    sandbox: SlackSandbox,
    database_url: str,
    pd: PagerDutyStandIn,
    *,
    webhook_secrets: tuple[str, ...] = (),
) -> AsyncIterator[Bot]:
    """The bot with the PagerDuty config, routing keys, webhook secrets and REST token."""
    async with running_bot(
        sandbox,
        database_url,
        config=pagerduty_config(pd, webhook_secrets=webhook_secrets),
        environ=pagerduty_environ(pd),
        settings={"PAGERDUTY_API_TOKEN": pd.token},
    ) as bot:
        yield bot
