"""``switchboard memory forget --user U…``: erase a person's stored messages, notes and
feedback votes (and the stored thread summaries, which are remade from what is left)."""

from __future__ import annotations

import argparse
import sys
from typing import TextIO

from bot.cli.conventions import Subparsers
from bot.config import Settings

__all__ = ["add_parser", "command", "forget_user_command"]


def add_parser(subparsers: Subparsers) -> None:
    """Define ``switchboard memory forget --user U… [--team T…]``."""
    memory = subparsers.add_parser("memory", help="erase what Switchboard stored about a person")
    memory_sub = memory.add_subparsers(dest="memory_command", required=True, metavar="ACTION")
    forget = memory_sub.add_parser("forget", help="erase a person's messages and notes")
    forget.add_argument("--user", required=True, help="Slack user id, e.g. U0ALICE")
    forget.add_argument("--team", help="only in this team (default: every team)")


async def command(args: argparse.Namespace, settings: Settings) -> int:
    """``memory forget``; returns the exit code."""
    return await forget_user_command(settings, user_id=args.user, team_id=args.team)


async def forget_user_command(
    settings: Settings, *, user_id: str, team_id: str | None, out: TextIO | None = None
) -> int:
    """Erase what the person wrote or voted and the notes by or about them, through the one
    erasure service (the same rule as Slack deletions and retention); returns the exit code."""
    from agents.memory.retention import Retention
    from bot.clock import SystemClock
    from bot.wiring import build_erasure
    from storage import Database

    out = out or sys.stdout
    database = await Database.connect(settings.database_url)
    try:
        erasure = build_erasure(database, retention=Retention(), clock=SystemClock())
        erased = await erasure.forget_user(team_id=team_id, user_id=user_id)
    finally:
        await database.close()
    where = f" in {team_id}" if team_id else ""
    print(
        f"erased {erased.messages} messages, {erased.notes} notes and {erased.votes} feedback "
        f"votes of {user_id}{where}",
        file=out,
    )
    return 0
