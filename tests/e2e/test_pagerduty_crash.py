"""The bot killed (SIGKILL) while a page is in flight: after a restart the trigger is sent
again with the same dedup key, and PagerDuty opens one incident."""

from __future__ import annotations

from pathlib import Path

import pytest

from handlers.approval_blocks import APPROVE_ACTION
from sandbox import SlackSandbox
from sandbox.pagerduty_api import PagerDutyStandIn
from tests.e2e.pagerduty_config import TEMPLATE, pagerduty_environ
from tests.e2e.process import BotProcess

pytestmark = pytest.mark.slow


async def test_a_page_cut_off_by_a_crash_is_rerun_once_under_its_dedup_key(
    sandbox: SlackSandbox, pd: PagerDutyStandIn, tmp_path: Path
) -> None:
    """Bob approves the trigger; PagerDuty has the event but the bot dies before the answer.
    The next process reruns the job (the action is idempotent by its dedup key): the event
    arrives twice with one key, one incident is open, and the thread hears it succeeded."""
    config = tmp_path / "switchboard.yaml"
    config.write_text(TEMPLATE.format(base=pd.base_url, timeout="30s"))
    env = {
        "SWITCHBOARD_CONFIG": str(config),
        "PAGERDUTY_API_TOKEN": pd.token,
        "SWITCHBOARD_JOB_LEASE_SECONDS": "1",
        **pagerduty_environ(pd),
    }
    url = f"sqlite+aiosqlite:///{tmp_path / 'crash.db'}"
    first = BotProcess(sandbox, url, env=env)
    await first.start()
    await sandbox.people.say("<@U0BOT> incident: declare sev1 Checkout down service=checkout")
    card = await sandbox.calls.wait_for(
        "chat.postMessage",
        where=lambda c: c.args["channel"] == "C0GENERAL" and "pagerduty_trigger" in str(c.args),
    )
    pd.hold_next()
    await sandbox.people.click(card.response["ts"], APPROVE_ACTION, user="U0BOB")
    await pd.wait_for_arrivals(1)  # the trigger is in flight
    await first.kill()
    pd.release()  # PagerDuty went on and opened the incident
    second = BotProcess(sandbox, url, env=env)
    await second.start()
    try:
        await sandbox.calls.wait_for(
            "chat.postMessage",
            where=lambda c: "PagerDuty accepted trigger" in str(c.args.get("blocks")),
            timeout=20,
        )
        assert pd.arrived == 2  # sent again after the crash...
        assert len({e.dedup_key for e in pd.events}) == 1
        assert len(pd.incidents) == 1  # ...and paged once
    finally:
        assert await second.terminate() == 0
