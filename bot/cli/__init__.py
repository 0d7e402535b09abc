"""The ``switchboard`` command line: one module per command, each with ``add_parser`` (its
flags) and ``command`` (what it does); this module builds the parser from them and dispatches
through a table.

Errors a user can fix (a bad setting, an unreachable database) print one line on stderr and
exit non-zero; they never print a traceback. Command modules import what is heavy (storage,
the runtime, the Slack SDK, the sandbox) inside their command functions, so that start-up
and ``--help`` stay fast.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from agents.kernel.errors import ConfigError, StorageError, SwitchboardError
from bot.cli import (
    audit,
    config,
    db,
    demo,
    doctor,
    knowledge,
    memory,
    review,
    run,
)
from bot.cli import eval as evaluation
from bot.cli import sandbox as sandbox_server
from bot.cli.conventions import EXIT_CONFIG, EXIT_RUNTIME
from bot.config import Settings, load_settings
from bot.logs import configure_logging

__all__ = ["build_parser", "main"]

Command = Callable[[argparse.Namespace, Settings], Coroutine[Any, Any, int]]

_PARSERS = (
    run.add_parser,
    sandbox_server.add_parser,
    demo.add_parser,
    config.add_parser,
    doctor.add_parser,
    audit.add_parser,
    memory.add_parser,
    knowledge.add_parser,
    review.add_parser,
    evaluation.add_parser,
    db.add_parser,
)
"""In the order ``--help`` lists the commands."""

_COMMANDS: dict[str, Command] = {
    "run": run.command,
    "sandbox": sandbox_server.command,
    "demo": demo.command,
    "doctor": doctor.command,
    "audit": audit.command,
    "memory": memory.command,
    "knowledge": knowledge.command,
    "review": review.command,
    "trace": review.command,
    "kpis": review.command,
    "export": review.command,
    "eval": evaluation.command,
    "db": db.command,
}
"""Commands that run with the settings and logging configured (``config`` needs neither)."""

_QUIET = frozenset({"demo", "eval", "doctor"})
"""Commands whose output is for people: only warnings are logged."""


def build_parser() -> argparse.ArgumentParser:
    """The ``switchboard`` parser with every command's flags."""
    parser = argparse.ArgumentParser(
        prog="switchboard", description="A chat-ops bot for team workflows on Slack."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add_parser in _PARSERS:
        add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``switchboard`` console script."""
    args = build_parser().parse_args(argv)
    if args.command == "config":
        return config.command(args)
    try:
        settings = load_settings()
        level = "warning" if args.command in _QUIET else settings.log_level
        configure_logging(fmt=settings.effective_log_format, level=level)
        return asyncio.run(_COMMANDS[args.command](args, settings))
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
