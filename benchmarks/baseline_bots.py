"""The two baselines ``ack_and_turns.py`` measures Switchboard against, as one small server.

``--mode naive``: the Bolt bot a team writes first. An ``AsyncApp`` whose ``app_mention``
listener replies in the thread with ``say``; it persists nothing, dedupes nothing, and its
``AsyncWebClient`` has no shared session (slack_sdk then opens one per call).
``--mode noop``: the same app whose listener does nothing: the floor of Bolt + aiohttp.

Both bind 127.0.0.1 only, log at warning, print ``{"event": "listening", "port": N}`` on stdout
once serving, and exit cleanly on SIGTERM or SIGINT. Settings come from the environment:
``SLACK_BOT_TOKEN``, ``SLACK_SIGNING_SECRET`` and ``SLACK_API_URL`` (the sandbox's Web API).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import sys
from typing import Any

from aiohttp import web
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.context.say.async_say import AsyncSay
from slack_sdk.web.async_client import AsyncWebClient

HOST = "127.0.0.1"
EVENTS_PATH = "/slack/events"


def build_app(mode: str, *, token: str, signing_secret: str, api_url: str) -> AsyncApp:
    """The Bolt app for ``mode`` (``naive`` or ``noop``)."""
    app = AsyncApp(
        client=AsyncWebClient(token=token, base_url=api_url),
        signing_secret=signing_secret,
    )

    if mode == "naive":

        @app.event("app_mention")
        async def reply(event: dict[str, Any], say: AsyncSay) -> None:
            await say(text=f"Hi <@{event['user']}>! Here is some help.", thread_ts=event["ts"])

    else:

        @app.event("app_mention")
        async def ignore(event: dict[str, Any]) -> None:
            return None

    return app


async def serve(mode: str, port: int) -> None:
    """Serve the app on 127.0.0.1:``port`` until SIGTERM or SIGINT."""
    app = build_app(
        mode,
        # Popped: Bolt would also read it from the environment and warn that ``client`` wins.
        token=os.environ.pop("SLACK_BOT_TOKEN"),
        signing_secret=os.environ["SLACK_SIGNING_SECRET"],
        api_url=os.environ["SLACK_API_URL"],
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    runner = web.AppRunner(app.web_app(path=EVENTS_PATH, port=port), access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, HOST, port)
        await site.start()
        bound = int(runner.addresses[0][1])
        print(json.dumps({"event": "listening", "mode": mode, "port": bound}), flush=True)
        await stop.wait()
    finally:
        await runner.cleanup()


def main(argv: list[str] | None = None) -> int:
    """Entry point: ``python benchmarks/baseline_bots.py --mode naive|noop [--port N]``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=("naive", "noop"), required=True)
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: any free)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    asyncio.run(serve(args.mode, args.port))
    return 0


if __name__ == "__main__":
    sys.exit(main())
