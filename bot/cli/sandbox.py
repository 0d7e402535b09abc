"""``switchboard sandbox``: the local Slack-compatible server on its own.

One of the two places the app starts the sandbox (the other is ``switchboard demo``); the
import contract "The app never imports the sandbox" names both.
"""

from __future__ import annotations

import argparse
import secrets

import structlog

from bot.cli.conventions import Subparsers
from bot.config import Settings

__all__ = ["add_parser", "command", "run_sandbox"]

log = structlog.get_logger(__name__)


def add_parser(subparsers: Subparsers) -> None:
    """Define ``switchboard sandbox [--host H] [--port P] [--request-url URL]``."""
    sandbox = subparsers.add_parser("sandbox", help="run the local Slack-compatible sandbox server")
    sandbox.add_argument("--host", default="127.0.0.1")
    sandbox.add_argument("--port", type=int, default=3001, help="port (default 3001; 0: any)")
    sandbox.add_argument(
        "--request-url",
        help="the bot's endpoint for events and commands, e.g. http://127.0.0.1:3000/slack/events",
    )


async def command(args: argparse.Namespace, settings: Settings) -> int:
    """Run the sandbox until stopped; returns the exit code."""
    await run_sandbox(host=args.host, port=args.port, request_url=args.request_url)
    return 0


async def run_sandbox(*, host: str, port: int, request_url: str | None = None) -> None:
    """Serve the sandbox until SIGTERM/SIGINT, logging the values a bot needs to use it."""
    from bot.serve import stop_on_signals
    from sandbox import SlackSandbox

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
