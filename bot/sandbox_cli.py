"""``switchboard sandbox``: the local Slack-compatible server on its own."""

from __future__ import annotations

import secrets

import structlog

from bot.serve import stop_on_signals
from sandbox import SlackSandbox

__all__ = ["run_sandbox"]

log = structlog.get_logger(__name__)


async def run_sandbox(*, host: str, port: int, request_url: str | None = None) -> None:
    """Serve the sandbox until SIGTERM/SIGINT, logging the values a bot needs to use it."""
    stop = stop_on_signals()
    sandbox = SlackSandbox(signing_secret=secrets.token_hex(16))
    sandbox.driver.request_url = request_url
    await sandbox.start(host=host, port=port)
    try:
        log.info(
            "sandbox_listening",
            api_url=sandbox.api_url,
            hint="set SWITCHBOARD_SLACK_API_URL to api_url; the bot token and signing secret "
            "are printed on stdout",
        )
        print(f"SWITCHBOARD_SLACK_API_URL={sandbox.api_url}")
        print(f"SLACK_BOT_TOKEN={sandbox.bot_token}")
        print(f"SLACK_SIGNING_SECRET={sandbox.signing_secret}", flush=True)
        await stop.wait()
    finally:
        await sandbox.close()
