"""``switchboard config check [FILE]`` and ``switchboard config schema``: validate the config
file, or print its JSON schema for editors. No logging set-up: plain output for people and
editors."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, TextIO

from agents.kernel.errors import ConfigError
from bot.cli.conventions import EXIT_CONFIG, Subparsers
from bot.config import load_settings
from bot.config_file.document import ConfigDocument
from bot.config_file.errors import ConfigFileError
from bot.config_file.loader import load_config

__all__ = [
    "EXIT_INVALID",
    "add_parser",
    "check_command",
    "command",
    "config_json_schema",
    "schema_command",
]

EXIT_INVALID = 2
_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def add_parser(subparsers: Subparsers) -> None:
    """Define ``switchboard config check [FILE]`` and ``switchboard config schema``."""
    config = subparsers.add_parser("config", help="check the config file, or print its JSON schema")
    config_sub = config.add_subparsers(dest="config_command", required=True, metavar="ACTION")
    check = config_sub.add_parser("check", help="validate a config file; report every error")
    check.add_argument("file", nargs="?", type=Path, help="default: SWITCHBOARD_CONFIG")
    config_sub.add_parser("schema", help="print the config file's JSON schema (for editors)")


def command(args: argparse.Namespace) -> int:
    """``config check|schema`` (FILE defaults to ``SWITCHBOARD_CONFIG``); the exit code."""
    if args.config_command == "schema":
        return schema_command(sys.stdout)
    path: Path | None = args.file
    if path is None:
        try:
            path = load_settings().config_file
        except ConfigError as exc:
            print(f"switchboard: configuration error: {exc}", file=sys.stderr)
            return EXIT_CONFIG
    if path is None:
        print("switchboard: give a FILE or set SWITCHBOARD_CONFIG", file=sys.stderr)
        return EXIT_CONFIG
    return check_command(path, out=sys.stdout)


def config_json_schema() -> dict[str, Any]:
    """The JSON schema of the config file, for editors (YAML language servers)."""
    schema = ConfigDocument.model_json_schema()
    return {"$schema": _SCHEMA_DIALECT, **schema}


def check_command(path: Path, *, out: TextIO) -> int:
    """Validate ``path``; print ``ok: N actions`` (exit 0) or every issue (exit 2)."""
    try:
        config = load_config(path)
    except ConfigFileError as exc:
        for issue in exc.issues:
            print(issue, file=out)
        count = len(exc.issues)
        print(f"{count} problem{'s' if count != 1 else ''} in {path}", file=out)
        return EXIT_INVALID
    count = len(config.actions)
    print(f"ok: {count} action{'s' if count != 1 else ''}", file=out)
    return 0


def schema_command(out: TextIO) -> int:
    """Print the JSON schema of the config file."""
    print(json.dumps(config_json_schema(), indent=2, sort_keys=False), file=out)
    return 0
