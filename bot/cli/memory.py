"""``switchboard memory forget --user U…``: erase everything a person wrote and every copy of
it (their messages and deliveries, the bot's replies in their turns, notes, pinned facts,
votes and forms, misses, incident notes; the stored summaries are remade from what is left),
then scrub the database (see docs/security.md, "Erasure")."""

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
    forget = memory_sub.add_parser(
        "forget", help="erase everything a person wrote, and every copy of it"
    )
    forget.add_argument("--user", required=True, help="Slack user id, e.g. U0ALICE")
    forget.add_argument("--team", help="only in this team (default: every team)")


async def command(args: argparse.Namespace, settings: Settings) -> int:
    """``memory forget``; returns the exit code."""
    return await forget_user_command(settings, user_id=args.user, team_id=args.team)


async def forget_user_command(
    settings: Settings, *, user_id: str, team_id: str | None, out: TextIO | None = None
) -> int:
    """Erase everything the person wrote and every copy of it through the one erasure
    service (the same rule as Slack deletions and retention), print how many records of each
    kind went, and return the exit code."""
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
    print(f"erased what {user_id} wrote{where}:", file=out)
    for kind, count in erased.as_dict().items():
        print(f"  {kind:<12}{count:>6}  {_MEANING[kind]}", file=out)
    return 0


_MEANING = {
    "messages": "their messages",
    "replies": "the bot's replies in their turns or quoting their notes (tombstoned)",
    "deliveries": "deliveries still being worked on",
    "notes": "notes they wrote or about them",
    "facts": "facts they pinned in threads",
    "summaries": "thread summaries (remade from what is left)",
    "votes": "their votes, with the words of their forms",
    "forms": "other people's form words on their turns (the votes stay)",
    "misses": "their questions the runbooks could not answer",
    "traces": "error texts of their turns' traces",
    "cases": "their turns withdrawn from the evaluation set",
    "timeline": "their incident timeline notes",
}
