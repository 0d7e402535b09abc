"""A crash after the ack and before the reply is recorded: after a restart, exactly one reply."""

from __future__ import annotations

from typing import Any

import pytest

from sandbox import Fault, SentMessage, SlackSandbox
from sandbox.llm_server import ScriptedLLMServer
from sandbox.llm_steps import Streaming, hang_after, reply
from tests.e2e.llm_config import LLM_KEY, llm_config_text
from tests.e2e.process import BotProcess

pytestmark = pytest.mark.slow


async def _crash_and_recover(
    sandbox: SlackSandbox, database_url: str, fault: Fault
) -> tuple[BotProcess, SentMessage]:
    first = BotProcess(sandbox, database_url)
    await first.start()
    sandbox.faults.inject("chat.postMessage", fault)
    sent = await sandbox.people.say("<@U0BOT> help")
    assert all(d.acked for d in sent.deliveries)  # Slack got its ack before the crash
    await sandbox.calls.wait_for("chat.postMessage")  # the bot is inside the post when it dies
    await first.kill()
    sandbox.faults.clear()
    second = BotProcess(sandbox, database_url)
    await second.start()
    return second, sent


def _bot_replies(sandbox: SlackSandbox, sent: SentMessage) -> list[dict[str, Any]]:
    return [m for m in sandbox.workspace.store.thread("C0GENERAL", sent.ts) if m.get("bot_id")]


async def test_killed_before_the_post_reached_slack(sandbox: SlackSandbox, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Killed while the post hung unapplied: the restarted bot posts the reply, once."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'crash.db'}"
    bot, sent = await _crash_and_recover(sandbox, url, Fault(kind="hang"))
    try:
        completed = await bot.wait_for_log("turn_completed", timeout=20)
        assert completed["recovered"] is True
        assert len(_bot_replies(sandbox, sent)) == 1
        assert [c.status for c in sandbox.calls.for_method("chat.postMessage")] == [0, 200]
    finally:
        assert await bot.terminate() == 0


async def test_killed_after_slack_applied_the_post(sandbox: SlackSandbox, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Killed after Slack stored the reply but before the bot recorded it: no second post."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'crash.db'}"
    bot, sent = await _crash_and_recover(sandbox, url, Fault(kind="apply_then_hang"))
    try:
        found = await bot.wait_for_log("reply_found_posted", timeout=20)
        replies = _bot_replies(sandbox, sent)
        assert len(replies) == 1  # the restarted bot found it and did not post again
        assert found["ts"] == replies[0]["ts"]
        assert sandbox.calls.count("chat.postMessage") == 1
        assert sandbox.calls.for_method("conversations.replies")
    finally:
        assert await bot.terminate() == 0


async def test_killed_mid_stream_the_restarted_bot_finishes_that_message(
    sandbox: SlackSandbox,
    tmp_path,  # type: ignore[no-untyped-def]
) -> None:
    """Killed while the model's answer streamed into the thread: the restarted bot answers
    again and makes the half-streamed message the whole reply; nothing else is posted."""
    async with ScriptedLLMServer(api_key=LLM_KEY) as llm:
        config = tmp_path / "switchboard.yaml"
        config.write_text(llm_config_text(sandbox.base_url, primary_url=llm.openai_base_url))
        env = {"SWITCHBOARD_CONFIG": str(config), "PRIMARY_LLM_KEY": LLM_KEY}
        # The first bot's model call times out (2 s) while hung, and the rules planner's answer
        # starts the stream; the restarted bot's call must not time out on a loaded machine,
        # nor find the script used up by a call the first made before it was killed.
        patient = tmp_path / "patient.yaml"
        patient.write_text(
            llm_config_text(sandbox.base_url, primary_url=llm.openai_base_url, timeout="30s")
        )
        url = f"sqlite+aiosqlite:///{tmp_path / 'crash.db'}"
        answer = "Deploys wait for an approver, then run once; the result lands in the thread."
        llm.script(
            reply(answer, stream=Streaming(piece_size=8, fault=hang_after(3))),
            reply(answer, stream=Streaming(piece_size=8)),
            reply(answer, stream=Streaming(piece_size=8)),
        )
        first = BotProcess(sandbox, url, env=env)
        await first.start()
        sent = await sandbox.people.say("<@U0BOT> deploy: how do deploys work?")
        started = await sandbox.calls.wait_for("chat.startStream", timeout=20)
        await llm.wait_for_hangs(1)
        await first.wait_for_log("reply_stream_started", timeout=20)  # noted before the kill
        await first.kill()
        llm.release()
        second = BotProcess(sandbox, url, env={**env, "SWITCHBOARD_CONFIG": str(patient)})
        await second.start()
        try:
            finished = await second.wait_for_log("reply_stream_finished", timeout=30)
            assert finished["ts"] == started.response["ts"]
            await second.wait_for_log("turn_completed", timeout=30)
            replies = _bot_replies(sandbox, sent)
            assert len(replies) == 1 and replies[0]["ts"] == started.response["ts"]
            assert answer in str(replies[0]["blocks"])
            assert sandbox.calls.count("chat.postMessage") == 0
        finally:
            assert await second.terminate() == 0
