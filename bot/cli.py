"""The ``switchboard`` command line.

Errors a user can fix (a bad setting, an unreachable database) print one line on stderr and
exit non-zero; they never print a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path

from agents.core.errors import ConfigError, StorageError, SwitchboardError
from bot.config import Settings, load_settings
from bot.logs import configure_logging

__all__ = ["main"]

EXIT_CONFIG = 2
EXIT_RUNTIME = 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="switchboard", description="A chat-ops bot for team workflows on Slack."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser("run", help="run the bot against Slack (HTTP or Socket Mode)")
    run.add_argument("--host", default="0.0.0.0", help="HTTP bind address (default 0.0.0.0)")  # noqa: S104 (a server must be reachable by Slack)
    run.add_argument("--port", type=int, default=3000, help="HTTP port (default 3000; 0: any)")
    run.add_argument("--socket", action="store_true", help="use Socket Mode instead of HTTP")

    sandbox = sub.add_parser("sandbox", help="run the local Slack-compatible sandbox server")
    sandbox.add_argument("--host", default="127.0.0.1")
    sandbox.add_argument("--port", type=int, default=3001, help="port (default 3001; 0: any)")
    sandbox.add_argument(
        "--request-url",
        help="the bot's endpoint for events and commands, e.g. http://127.0.0.1:3000/slack/events",
    )

    demo = sub.add_parser("demo", help="chat with the bot in a local sandbox; no account needed")
    demo.add_argument("--script", type=Path, help="play the lines of FILE and print the transcript")

    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    db_sub.add_parser("upgrade", help="apply all migrations")
    db_sub.add_parser("current", help="print the applied migration revision")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``switchboard`` console script."""
    args = _parser().parse_args(argv)
    try:
        settings = load_settings()
        level = "warning" if args.command == "demo" else settings.log_level
        configure_logging(fmt=settings.effective_log_format, level=level)
        return asyncio.run(_dispatch(args, settings))
    except ConfigError as exc:
        print(f"switchboard: configuration error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except StorageError as exc:
        print(f"switchboard: database error: {exc}", file=sys.stderr)
        return EXIT_RUNTIME
    except SwitchboardError as exc:
        print(f"switchboard: {exc}", file=sys.stderr)
        return EXIT_RUNTIME
    except KeyboardInterrupt:
        return 130


async def _dispatch(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "run":
        from bot.runtime import Runtime, RuntimeOptions
        from bot.serve import serve_http, serve_socket_mode

        runtime = await Runtime.create(settings, RuntimeOptions(socket_mode=args.socket))
        if args.socket:
            await serve_socket_mode(runtime)
        else:
            await serve_http(runtime, host=args.host, port=args.port)
        return 0
    if args.command == "sandbox":
        from bot.sandbox_cli import run_sandbox

        await run_sandbox(host=args.host, port=args.port, request_url=args.request_url)
        return 0
    if args.command == "demo":
        from bot.demo import run_demo

        return await run_demo(settings, script=args.script)
    if args.command == "db":
        from storage import Database

        database = await Database.connect(settings.database_url)
        try:
            if args.db_command == "upgrade":
                await database.migrate()
            print(await database.current_revision() or "(none)")
        finally:
            await database.close()
        return 0
    raise AssertionError(f"unhandled command {args.command!r}")  # argparse rejects others
