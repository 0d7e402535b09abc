"""The bot killed (SIGKILL) while an approved action runs: after a restart, never twice."""

from __future__ import annotations

from pathlib import Path

import pytest

from handlers.approval_blocks import APPROVE_ACTION
from sandbox import SlackSandbox
from tests.e2e.approvals_config import approvals_config
from tests.e2e.process import BotProcess

pytestmark = pytest.mark.slow


async def _run_until_killed_mid_execution(
    sandbox: SlackSandbox, tmp_path: Path, *, idempotent: bool
) -> tuple[BotProcess, str]:
    config = tmp_path / "switchboard.yaml"
    config.write_text(approvals_config(sandbox.base_url, idempotent=idempotent, timeout="30s"))
    env = {
        "SWITCHBOARD_CONFIG": str(config),
        "DEPLOY_API_TOKEN": "test-token",
        "SWITCHBOARD_JOB_LEASE_SECONDS": "1",
    }
    url = f"sqlite+aiosqlite:///{tmp_path / 'crash.db'}"
    first = BotProcess(sandbox, url, env=env)
    await first.start()
    await sandbox.people.say("<@U0BOT> deploy api to prod")
    card = await sandbox.calls.wait_for("chat.postMessage")
    sandbox.deploy_api.hold_next()
    await sandbox.people.click(card.response["ts"], APPROVE_ACTION, user="U0BOB")
    await sandbox.deploy_api.wait_for_arrivals(1)  # the deploy request is in flight
    await first.kill()
    sandbox.deploy_api.release()  # the target went on and applied it
    second = BotProcess(sandbox, url, env=env)
    await second.start()
    return second, str(card.args["thread_ts"])


async def test_non_idempotent_action_is_not_rerun_and_a_human_is_asked(
    sandbox: SlackSandbox, tmp_path: Path
) -> None:
    """Not safe to repeat: after the crash it is marked unknown and the requester is asked."""
    bot, thread_ts = await _run_until_killed_mid_execution(sandbox, tmp_path, idempotent=False)
    try:
        note = await sandbox.calls.wait_for(
            "chat.postMessage",
            where=lambda c: "outcome unknown" in str(c.args.get("text")),
            timeout=20,
        )
        assert note.args["thread_ts"] == thread_ts
        assert "<@U0ALICE>" in note.args["text"]  # the requester is asked to check
        assert sandbox.deploy_api.applied_count() == 1  # ran at most once
        assert sandbox.deploy_api.arrived == 1  # and was never sent again
    finally:
        assert await bot.terminate() == 0


async def test_idempotent_action_is_retried_with_the_same_key(
    sandbox: SlackSandbox, tmp_path: Path
) -> None:
    """Safe to repeat: re-run with the same Idempotency-Key; the target applies it once."""
    bot, _thread_ts = await _run_until_killed_mid_execution(sandbox, tmp_path, idempotent=True)
    try:
        await sandbox.calls.wait_for(
            "chat.postMessage",
            where=lambda c: "succeeded" in str(c.args.get("text")),
            timeout=20,
        )
        keys = {r.idempotency_key for r in sandbox.deploy_api.requests}
        assert len(keys) == 1
        assert sandbox.deploy_api.arrived == 2  # sent again after the crash...
        assert sandbox.deploy_api.applied_count() == 1  # ...and applied once
    finally:
        assert await bot.terminate() == 0
