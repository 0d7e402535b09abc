"""``switchboard db upgrade|current``: apply the migrations, or print the applied revision."""

from __future__ import annotations

import argparse

from bot.cli.conventions import Subparsers
from bot.config import Settings

__all__ = ["add_parser", "command"]


def add_parser(subparsers: Subparsers) -> None:
    """Define ``switchboard db upgrade`` and ``switchboard db current``."""
    db = subparsers.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    db_sub.add_parser("upgrade", help="apply all migrations")
    db_sub.add_parser("current", help="print the applied migration revision")


async def command(args: argparse.Namespace, settings: Settings) -> int:
    """Upgrade (if asked), then print the applied revision; returns the exit code."""
    from storage import Database

    database = await Database.connect(settings.database_url)
    try:
        if args.db_command == "upgrade":
            await database.migrate()
        print(await database.current_revision() or "(none)")
    finally:
        await database.close()
    return 0
