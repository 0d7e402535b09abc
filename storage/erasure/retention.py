"""The messages tier of retention: old messages, and the copies of them that would outlive
them (the words of 👎 forms, the summaries of the threads that lose messages)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, exists, or_, select, update
from sqlalchemy.engine import Connection

from storage.erasure.copies import changed, drop_summaries_on
from storage.tables import conversations, feedback, messages, thread_memory

__all__ = ["purge_messages_on"]


def purge_messages_on(connection: Connection, *, before: datetime) -> int:
    """Delete the messages stored before ``before``, blank the words of 👎 forms written
    before it (the votes stay) and drop the summaries of the threads losing messages (they
    quote them; they are remade from what is left); how many records in all."""
    losing = exists(
        select(messages.c.id)
        .join(conversations, messages.c.conversation_id == conversations.c.id)
        .where(
            conversations.c.team_id == thread_memory.c.team_id,
            conversations.c.channel_id == thread_memory.c.channel_id,
            conversations.c.thread_ts == thread_memory.c.thread_ts,
            messages.c.created_at < before,
        )
    )
    summaries = drop_summaries_on(connection, losing)
    forms = changed(
        connection,
        update(feedback)
        .where(feedback.c.at < before, or_(feedback.c.comment != "", feedback.c.expected != ""))
        .values(comment="", expected=""),
    )
    purged = changed(connection, delete(messages).where(messages.c.created_at < before))
    return summaries + forms + purged
