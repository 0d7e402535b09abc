"""What every command module shares: the sub-command parsers it adds to and the exit codes
of the errors :func:`bot.cli.main` reports."""

from __future__ import annotations

import argparse
from typing import TypeAlias

__all__ = ["EXIT_CONFIG", "EXIT_RUNTIME", "Subparsers"]

EXIT_CONFIG = 2
"""A setting, flag or file the user must fix."""

EXIT_RUNTIME = 1
"""The command ran and failed (an unreachable database, a refused request)."""

# A string: argparse's action class is generic only to type checkers.
Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
"""What ``add_parser`` adds its command (or commands) to."""
