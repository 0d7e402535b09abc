"""``switchboard doctor`` and ``config check`` on the ``pagerduty:`` section, against the
sandbox's PagerDuty stand-in: what is right is said, what is wrong is named with its fix,
and no secret is printed."""

from __future__ import annotations

import io
from pathlib import Path

from bot.cli.config import check_command
from bot.cli.doctor import pagerduty_checks
from bot.config import Settings
from sandbox.pagerduty_api import PagerDutyStandIn
from tests.e2e.pagerduty_config import TEMPLATE, pagerduty_config


async def test_doctor_reads_each_service_and_checks_routing_keys(pd: PagerDutyStandIn) -> None:
    """With the token: each service's escalation policy is read; a routing-key variable that
    is set passes (its value never printed), one that is not is named with its fix."""
    settings = Settings.model_validate({"PAGERDUTY_API_TOKEN": pd.token})
    environ = {"PD_KEY_CHECKOUT": pd.routing_keys["checkout"]}
    checks = await pagerduty_checks(settings, pagerduty_config(pd), environ=environ)
    verdicts = {c.name: (c.ok, c.detail) for c in checks}
    assert verdicts["pagerduty checkout routing key"] == (True, "PD_KEY_CHECKOUT is set")
    assert verdicts["pagerduty payments routing key"] == (False, "PD_KEY_PAYMENTS is not set")
    assert verdicts["pagerduty checkout"] == (
        True,
        "service PSVC001, escalation policy Checkout escalation",
    )
    assert not any(pd.routing_keys["checkout"] in str(c) for c in checks)


async def test_doctor_names_a_refused_or_missing_token(pd: PagerDutyStandIn) -> None:
    """A refused token: BAD with the fix; no token at all: said before any call."""
    wrong = Settings.model_validate({"PAGERDUTY_API_TOKEN": "nope"})
    refused = await pagerduty_checks(wrong, pagerduty_config(pd), environ={})
    failing = [c for c in refused if c.name == "pagerduty checkout"]
    assert failing[0].ok is False and "HTTP 401" in failing[0].detail
    assert "PAGERDUTY_API_TOKEN" in (failing[0].fix or "")
    pd.requests.clear()
    missing = await pagerduty_checks(Settings.model_validate({}), pagerduty_config(pd), environ={})
    assert missing[-1].detail == "PAGERDUTY_API_TOKEN is not set" and pd.requests == []


def test_config_check_lists_services_policy_and_unset_keys(tmp_path: Path) -> None:
    """`config check` shows the services, each paging action's approval, the webhook
    endpoint, and warns of a routing-key or webhook-secret variable not set here."""
    path = tmp_path / "pd.yaml"
    webhooks = '  webhooks: {secrets: ["${PD_HOOK}", "${PD_HOOK_NEXT}"], max_age: 30m}\n'
    path.write_text(TEMPLATE.format(base="https://api.pagerduty.com", timeout="5s") + webhooks)
    out = io.StringIO()
    environ = {"PD_KEY_CHECKOUT": "x" * 32, "PD_HOOK": "whsec-y"}
    code = check_command(path, out=out, environ=environ)
    text = out.getvalue()
    assert code == 0, text
    assert "pagerduty: services checkout (PSVC001), payments (PSVC002)" in text
    assert "  pagerduty_trigger: needs approval (quorum 1)" in text
    assert "warning: PD_KEY_PAYMENTS (routing key of payments) is not set here" in text
    assert "PD_KEY_CHECKOUT (routing" not in text and "x" * 32 not in text
    assert "  webhooks: POST /pagerduty/webhooks, events up to 1800s old" in text
    assert "warning: PD_HOOK_NEXT (webhook signing secret) is not set here" in text
    assert "PD_HOOK (webhook" not in text and "whsec-y" not in text
