"""The hottest read: the newest messages of a thread, a turn's context.

It runs on the quick read view (inline on a SQLite file), and there through the stdlib driver
directly: SQLAlchemy's execution and row objects would cost as much as SQLite's own work
(benchmarks/context_load.py).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import String, bindparam, select, type_coerce
from sqlalchemy.engine import Connection

from agents.kernel.errors import StorageError
from agents.kernel.models import ConversationKey, StoredMessage
from storage.tables import conversations, messages

__all__ = ["messages_on"]

_DIRECTIONS: tuple[Literal["in", "out"], ...] = ("in", "out")

_MESSAGES = (
    select(
        messages.c.direction,
        messages.c.user_id,
        messages.c.text,
        messages.c.trace_id,
        messages.c.ts,
        # Raw: SQLite's text is parsed below with the C ``fromisoformat``, several times faster
        # than the type's row processor over a context's worth of rows.
        type_coerce(messages.c.created_at, String),
    )
    .join(conversations, messages.c.conversation_id == conversations.c.id)
    .where(
        conversations.c.team_id == bindparam("team_id"),
        conversations.c.channel_id == bindparam("channel_id"),
        conversations.c.thread_ts == bindparam("thread_ts"),
    )
    .order_by(messages.c.id.desc())
    .limit(bindparam("limit"))
)


# The same query as ``_MESSAGES``, for the stdlib driver directly.
_MESSAGES_SQLITE = (
    "SELECT m.direction, m.user_id, m.text, m.trace_id, m.ts, m.created_at "
    "FROM messages AS m JOIN conversations AS c ON m.conversation_id = c.id "
    "WHERE c.team_id = ? AND c.channel_id = ? AND c.thread_ts = ? "
    "ORDER BY m.id DESC LIMIT ?"
)


def messages_on(connection: Connection, key: ConversationKey, limit: int) -> list[StoredMessage]:
    """The newest ``limit`` messages of the conversation, oldest first."""
    if connection.dialect.driver == "pysqlite":
        cursor = connection.connection.driver_connection.execute(  # type: ignore[union-attr]
            _MESSAGES_SQLITE, (key.team_id, key.channel_id, key.thread_ts, limit)
        )
        rows = cursor.fetchall()
    else:
        rows = connection.execute(
            _MESSAGES,
            {
                "team_id": key.team_id,
                "channel_id": key.channel_id,
                "thread_ts": key.thread_ts,
                "limit": limit,
            },
        ).all()
    return [_context_message(*row) for row in reversed(rows)]


def _context_message(
    direction: str, user_id: str, text: str, trace_id: str, ts: str | None, created_at: Any
) -> StoredMessage:
    if direction not in _DIRECTIONS:
        raise StorageError(f"impossible stored value {direction!r} in 'messages.direction'")
    if isinstance(created_at, str):
        created_at = _utc(created_at)
    return StoredMessage(direction, user_id, text, trace_id, ts, created_at)


def _utc(stored: str) -> datetime:
    """A stored UTC time (naive text on SQLite). Parsing it with the offset appended is
    several times faster than parsing and then ``replace(tzinfo=...)``."""
    try:
        return datetime.fromisoformat(stored + "+00:00")
    except ValueError:  # it carried an offset already
        return datetime.fromisoformat(stored).astimezone(UTC)
