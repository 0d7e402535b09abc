"""A restart with the same SQLite file keeps the conversation."""

from __future__ import annotations

from agents.kernel.models import ConversationKey
from sandbox import SlackSandbox
from tests.e2e.conftest import running_bot


async def test_restart_keeps_the_conversation(sandbox: SlackSandbox, database_url: str) -> None:
    """After a restart the bot still knows it takes part in the thread and answers there."""
    async with running_bot(sandbox, database_url):
        sent = await sandbox.people.say("<@U0BOT> hello")
        await sandbox.calls.wait_for("chat.postMessage")
    async with running_bot(sandbox, database_url) as bot:
        await sandbox.people.say("help me again", thread_ts=sent.ts)
        call = await sandbox.calls.wait_for("chat.postMessage", count=2)
        assert call.args["thread_ts"] == sent.ts
        await bot.idle()
        stored = await bot.runtime.database.conversations.messages(
            ConversationKey("T0SANDBOX", "C0GENERAL", sent.ts), limit=10
        )
        assert [m.direction for m in stored] == ["in", "out", "in", "out"]
