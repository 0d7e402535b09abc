"""``switchboard memory forget --user U…``: erase a person's stored messages, notes and
feedback votes (and the stored thread summaries, which are remade from what is left)."""

from __future__ import annotations

import sys
from typing import TextIO

import structlog

from bot.config import Settings
from storage import Database

__all__ = ["forget_user_command"]

log = structlog.get_logger(__name__)


async def forget_user_command(
    settings: Settings, *, user_id: str, team_id: str | None, out: TextIO | None = None
) -> int:
    """Erase what the person wrote and the notes by or about them; returns the exit code."""
    out = out or sys.stdout
    database = await Database.connect(settings.database_url)
    try:
        messages = await database.conversations.erase_user(team_id=team_id, user_id=user_id)
        notes = await database.notes.forget_user(team_id=team_id, user_id=user_id)
        votes = await database.feedback.forget_user(team_id=team_id, user_id=user_id)
        await database.threads.drop_summaries(team_id=team_id)  # they may quote the person
    finally:
        await database.close()
    log.info("memory_forgot_user", user=user_id, messages=messages, notes=notes, votes=votes)
    where = f" in {team_id}" if team_id else ""
    print(
        f"erased {messages} messages, {notes} notes and {votes} feedback votes of {user_id}{where}",
        file=out,
    )
    return 0
