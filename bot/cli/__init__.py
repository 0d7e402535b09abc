"""The ``switchboard`` command line: one module per command, each with ``add_parser`` (its
flags) and ``command`` (what it does); this module builds the parser from them and dispatches
to the module of the command given, the only one it imports (a running bot does not keep the
review, evaluation and demo code in memory).

Errors a user can fix (a bad setting, an unreachable database) print one line on stderr and
exit non-zero; they never print a traceback. Command modules import what is heavy (storage,
the runtime, the Slack SDK, the sandbox) inside their command functions, so that start-up
and ``--help`` stay fast.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import sys
from collections.abc import Callable, Coroutine, Sequence
from types import ModuleType
from typing import Any

from agents.kernel.errors import ConfigError, StorageError, SwitchboardError
from bot.cli.conventions import EXIT_CONFIG, EXIT_RUNTIME
from bot.config import Settings, load_settings
from bot.logs import configure_logging

__all__ = ["build_parser", "main"]

Command = Callable[[argparse.Namespace, Settings], Coroutine[Any, Any, int]]

_MODULES = (
    "run",
    "sandbox",
    "demo",
    "config",
    "doctor",
    "audit",
    "memory",
    "knowledge",
    "review",
    "eval",
    "db",
)
"""The command modules (``bot.cli.<name>``), in the order ``--help`` lists the commands."""

_MODULE_OF = {name: name for name in _MODULES} | {
    "trace": "review",
    "kpis": "review",
    "export": "review",
}
"""Each command's module. Only the module of the command given is imported: the others'
imports (the review, evaluation and demo code) would stay in a running bot's memory."""

_QUIET = frozenset({"demo", "eval", "doctor"})
"""Commands whose output is for people: only warnings are logged."""


def _module(name: str) -> ModuleType:
    return importlib.import_module(f"bot.cli.{name}")


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The ``switchboard`` parser with every command's flags (only ``command``'s, when it
    names one: the way :func:`main` parses a command line)."""
    parser = argparse.ArgumentParser(
        prog="switchboard", description="A chat-ops bot for team workflows on Slack."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    only = _MODULE_OF.get(command or "")
    for name in _MODULES if only is None else (only,):
        _module(name).add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``switchboard`` console script."""
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser(argv[0] if argv else None).parse_args(argv)
    module = _module(_MODULE_OF[args.command])
    if args.command == "config":
        return int(module.command(args))
    try:
        settings = load_settings()
        level = "warning" if args.command in _QUIET else settings.log_level
        configure_logging(fmt=settings.effective_log_format, level=level)
        command: Command = module.command
        return asyncio.run(command(args, settings))
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
