"""Socket Mode: the same turn over a WebSocket instead of HTTP."""

from __future__ import annotations

from sandbox import SlackSandbox
from tests.e2e.conftest import running_bot


async def test_mention_over_socket_mode(sandbox: SlackSandbox, database_url: str) -> None:
    """An events_api envelope is acked over the socket and the reply is posted in thread."""
    async with running_bot(sandbox, database_url, socket_mode=True) as bot:
        sent = await sandbox.people.say("<@U0BOT> help", via="socket")
        assert sent.deliveries and all(d.acked for d in sent.deliveries)
        call = await sandbox.calls.wait_for("chat.postMessage")
        assert call.args["thread_ts"] == sent.ts
        await bot.idle()


async def test_slash_command_over_socket_mode(sandbox: SlackSandbox, database_url: str) -> None:
    """/ops help over Socket Mode is acked and answered through response_url."""
    async with running_bot(sandbox, database_url, socket_mode=True) as bot:
        delivery = await sandbox.people.run_command("/ops", "help", via="socket")
        assert delivery.acked
        call = await sandbox.calls.wait_for("response_url")
        assert "help" in call.args["text"]
        await bot.idle()
