"""``switchboard memory forget --user U…``: erase a person's stored messages, notes and
feedback votes (and the stored thread summaries, which are remade from what is left)."""

from __future__ import annotations

import sys
from typing import TextIO

from agents.memory.retention import Retention
from bot.clock import SystemClock
from bot.config import Settings
from bot.wiring import build_erasure
from storage import Database

__all__ = ["forget_user_command"]


async def forget_user_command(
    settings: Settings, *, user_id: str, team_id: str | None, out: TextIO | None = None
) -> int:
    """Erase what the person wrote and the notes by or about them; returns the exit code."""
    out = out or sys.stdout
    database = await Database.connect(settings.database_url)
    try:
        erased = await build_erasure(
            database, retention=Retention(), clock=SystemClock()
        ).forget_user(team_id=team_id, user_id=user_id)
    finally:
        await database.close()
    where = f" in {team_id}" if team_id else ""
    print(
        f"erased {erased.messages} messages, {erased.notes} notes and {erased.votes} feedback "
        f"votes of {user_id}{where}",
        file=out,
    )
    return 0
