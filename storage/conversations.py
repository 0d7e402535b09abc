"""Conversations (one per Slack thread, or a channel's top level) and their messages."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, get_args

import structlog
from sqlalchemy import Row, String, bindparam, delete, exists, select, type_coerce, update
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from agents.kernel.errors import StorageError
from agents.kernel.models import (
    ConversationKey,
    Inbound,
    Outbound,
    PendingAction,
    Reply,
    ReplyItem,
    StoredMessage,
)
from storage._seam import insert, narrow, translated
from storage.engine import Dialect, views
from storage.tables import conversations, messages

__all__ = [
    "SqlConversationStore",
    "mark_sent_on",
    "record_exchange_on",
    "record_inbound_on",
    "record_reply_on",
]

log = structlog.get_logger(__name__)

_DIRECTIONS: tuple[Literal["in", "out"], ...] = ("in", "out")
_REPLY_STATUSES: tuple[Literal["pending", "sent"], ...] = ("pending", "sent")

# The writes of every turn are built once (SQLAlchemy then skips rebuilding them and their
# cache keys); the values come as execute() parameters, whose keys name the columns set.
_CREATE_CONVERSATION = {
    dialect: insert(dialect, conversations)
    .on_conflict_do_nothing(
        index_elements=[
            conversations.c.team_id,
            conversations.c.channel_id,
            conversations.c.thread_ts,
        ]
    )
    .returning(conversations.c.id)
    for dialect in get_args(Dialect)
}
_FIND_CONVERSATION = select(conversations.c.id).where(
    conversations.c.team_id == bindparam("team_id"),
    conversations.c.channel_id == bindparam("channel_id"),
    conversations.c.thread_ts == bindparam("thread_ts"),
)
_TOUCH = update(conversations).where(
    conversations.c.id == bindparam("w_id"), conversations.c.updated_at < bindparam("w_at")
)
_INSERT_MESSAGE = {
    dialect: insert(dialect, messages)
    .on_conflict_do_nothing(index_elements=[messages.c.trace_id, messages.c.direction])
    .returning(messages.c.id)
    for dialect in get_args(Dialect)
}
_MARK_SENT = update(messages).where(
    messages.c.trace_id == bindparam("w_trace_id"), messages.c.direction == "out"
)


# The bot's replies with their conversation: what ``_outbound`` rebuilds an Outbound from.
_REPLIES = select(
    messages.c.trace_id,
    messages.c.agent,
    messages.c.reply_json,
    messages.c.status,
    messages.c.ts,
    conversations.c.team_id,
    conversations.c.channel_id,
    conversations.c.thread_ts,
).join(conversations, messages.c.conversation_id == conversations.c.id)


class SqlConversationStore:
    """``ConversationStore`` on SQL; a message is unique per ``(trace_id, direction)``."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._db = views(engine)

    async def record_inbound(self, inbound: Inbound) -> None:
        """Store a person's message (``received``); a second call for its trace id is a no-op."""
        with translated("record an inbound message"):
            await self._db.transaction.run(record_inbound_on, self._db.dialect, inbound)

    async def record_reply(self, outbound: Outbound, *, now: datetime) -> None:
        """Store a reply before it is posted; a second call for its trace id is a no-op."""
        with translated("record a reply"):
            await self._db.transaction.run(record_reply_on, self._db.dialect, outbound, now=now)

    async def find_reply(self, trace_id: str) -> Outbound | None:
        """The reply stored for a turn, with its delivery status, if any."""
        statement = _REPLIES.where(messages.c.trace_id == trace_id, messages.c.direction == "out")
        with translated("find a reply"):
            async with self._db.read.connect() as connection:
                row = (await connection.execute(statement)).first()
        return None if row is None else _outbound(row)

    async def latest_reply(self, key: ConversationKey) -> Outbound | None:
        """The newest reply the bot stored in a conversation, if any."""
        statement = (
            _REPLIES.where(*_matches(key), messages.c.direction == "out")
            .order_by(messages.c.id.desc())
            .limit(1)
        )
        with translated("find the latest reply"):
            async with self._db.read.connect() as connection:
                row = (await connection.execute(statement)).first()
        return None if row is None else _outbound(row)

    async def mark_sent(self, *, trace_id: str, ts: str) -> None:
        """Record that Slack accepted the reply, with its message ts."""
        with translated("mark a reply sent"):
            await self._db.write.run(mark_sent_on, trace_id=trace_id, ts=ts)

    async def has_conversation(self, key: ConversationKey) -> bool:
        """Whether the bot replied in this conversation before (a pending reply counts)."""
        statement = select(
            exists().where(
                messages.c.conversation_id == conversations.c.id,
                messages.c.direction == "out",
                *_matches(key),
            )
        )
        with translated("look up a conversation"):
            async with self._db.read.connect() as connection:
                return bool((await connection.execute(statement)).scalar_one())

    async def messages(self, key: ConversationKey, *, limit: int) -> Sequence[StoredMessage]:
        """The newest ``limit`` messages of the conversation, oldest first."""
        if limit <= 0:
            return []
        with translated("read a conversation"):
            return await self._db.quick.run(_messages_on, key, limit)

    async def edit_message(self, *, team_id: str, channel_id: str, ts: str, text: str) -> int:
        """Replace the stored text of a person's message (they edited it in Slack)."""
        statement = (
            update(messages)
            .where(messages.c.direction == "in", messages.c.ts == ts)
            .where(messages.c.conversation_id.in_(_in_channel(team_id, channel_id)))
            .values(text=text)
        )
        return await self._change(statement, "edit a stored message")

    async def erase_message(self, *, team_id: str, channel_id: str, ts: str) -> int:
        """Delete the stored copy of a person's message (they deleted it in Slack)."""
        statement = (
            delete(messages)
            .where(messages.c.direction == "in", messages.c.ts == ts)
            .where(messages.c.conversation_id.in_(_in_channel(team_id, channel_id)))
        )
        return await self._change(statement, "erase a stored message")

    async def erase_user(self, *, team_id: str | None, user_id: str) -> int:
        """Delete every stored message a person wrote in the team (any team when None)."""
        statement = delete(messages).where(
            messages.c.direction == "in", messages.c.user_id == user_id
        )
        if team_id is not None:
            in_team = select(conversations.c.id).where(conversations.c.team_id == team_id)
            statement = statement.where(messages.c.conversation_id.in_(in_team))
        return await self._change(statement, "erase a person's messages")

    async def purge(self, *, before: datetime) -> int:
        """Delete messages stored before ``before`` (retention)."""
        statement = delete(messages).where(messages.c.created_at < before)
        return await self._change(statement, "purge old messages")

    async def _change(self, statement: Any, action: str) -> int:
        with translated(action):
            async with self._db.write.begin() as connection:
                return int((await connection.execute(statement)).rowcount or 0)


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


# The same query as ``_MESSAGES``, for the stdlib driver directly: a turn's context is the
# hottest read, and on the inline SQLite connection SQLAlchemy's execution and row objects
# cost as much as SQLite's own work (benchmarks/context_load.py).
_MESSAGES_SQLITE = (
    "SELECT m.direction, m.user_id, m.text, m.trace_id, m.ts, m.created_at "
    "FROM messages AS m JOIN conversations AS c ON m.conversation_id = c.id "
    "WHERE c.team_id = ? AND c.channel_id = ? AND c.thread_ts = ? "
    "ORDER BY m.id DESC LIMIT ?"
)


def _messages_on(connection: Connection, key: ConversationKey, limit: int) -> list[StoredMessage]:
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


def _in_channel(team_id: str, channel_id: str) -> Any:
    return select(conversations.c.id).where(
        conversations.c.team_id == team_id, conversations.c.channel_id == channel_id
    )


@dataclass(frozen=True, slots=True)
class _Message:
    """A message to store: its conversation, when it was recorded, its column values."""

    key: ConversationKey
    at: datetime
    values: dict[str, Any]


def _inbound_message(inbound: Inbound) -> _Message:
    return _Message(
        inbound.conversation,
        inbound.received_at,
        {
            "direction": "in",
            "user_id": inbound.user_id,
            "text": inbound.text,
            "trace_id": inbound.trace_id,
            "status": "received",
            "ts": inbound.ts or None,  # "" (a slash command) has no Slack ts
        },
    )


def _reply_message(outbound: Outbound, *, now: datetime) -> _Message:
    return _Message(
        ConversationKey(outbound.team_id, outbound.channel_id, outbound.thread_ts or ""),
        now,
        {
            "direction": "out",
            "user_id": "",  # the bot itself
            "text": outbound.reply.text,
            "trace_id": outbound.trace_id,
            "agent": outbound.agent,
            "reply_json": _encode_reply(outbound.reply),
            "status": outbound.status,
            "ts": outbound.ts,
        },
    )


def record_inbound_on(connection: Connection, dialect: Dialect, inbound: Inbound) -> None:
    """Store a person's message in the caller's transaction (a no-op if its trace has one)."""
    _record_messages_on(connection, dialect, (_inbound_message(inbound),))


def record_reply_on(
    connection: Connection, dialect: Dialect, outbound: Outbound, *, now: datetime
) -> None:
    """Store a reply in the caller's transaction (a no-op if its trace has one)."""
    _record_messages_on(connection, dialect, (_reply_message(outbound, now=now),))


def record_exchange_on(
    connection: Connection,
    dialect: Dialect,
    inbound: Inbound,
    outbound: Outbound,
    *,
    now: datetime,
) -> None:
    """Store a person's message and the reply to it, finding their conversation once.

    The same rows as :func:`record_inbound_on` then :func:`record_reply_on`.
    """
    _record_messages_on(
        connection, dialect, (_inbound_message(inbound), _reply_message(outbound, now=now))
    )


def mark_sent_on(connection: Connection, *, trace_id: str, ts: str) -> None:
    """Record in the caller's transaction that Slack accepted the reply, with its ts."""
    values = {"w_trace_id": trace_id, "status": "sent", "ts": ts}
    if not connection.execute(_MARK_SENT, values).rowcount:
        log.warning("reply_not_found", trace_id=trace_id)


def _record_messages_on(
    connection: Connection, dialect: Dialect, batch: Sequence[_Message]
) -> None:
    # Writes first (SQLite takes the lock on the first write). A conversation is only touched
    # when one of its messages is new, so repeating a call changes nothing.
    for key in dict.fromkeys(message.key for message in batch):
        group = [message for message in batch if message.key == key]
        latest = max(message.at for message in group)
        conversation_id, created = _ensure_conversation(
            connection, dialect, key, created_at=group[0].at, updated_at=latest
        )
        new = []
        for message in group:
            inserted = connection.execute(
                _INSERT_MESSAGE[dialect],
                {"conversation_id": conversation_id, "created_at": message.at, **message.values},
            )
            if inserted.first() is not None:
                new.append(message.at)
        # A conversation created here already carries its newest message's time.
        if new and not created:
            at = max(new)
            connection.execute(_TOUCH, {"w_id": conversation_id, "w_at": at, "updated_at": at})


def _matches(key: ConversationKey) -> tuple[Any, ...]:
    return (
        conversations.c.team_id == key.team_id,
        conversations.c.channel_id == key.channel_id,
        conversations.c.thread_ts == key.thread_ts,
    )


def _ensure_conversation(
    connection: Connection,
    dialect: Dialect,
    key: ConversationKey,
    *,
    created_at: datetime,
    updated_at: datetime,
) -> tuple[int, bool]:
    """The conversation's id, creating it if needed; True when this call created it."""
    where = {"team_id": key.team_id, "channel_id": key.channel_id, "thread_ts": key.thread_ts}
    created = connection.execute(
        _CREATE_CONVERSATION[dialect],
        {**where, "created_at": created_at, "updated_at": updated_at},
    )
    new_id: int | None = created.scalar_one_or_none()
    if new_id is not None:
        return new_id, True
    old_id: int = connection.execute(_FIND_CONVERSATION, where).scalar_one()
    return old_id, False


def _encode_reply(reply: Reply) -> dict[str, Any]:
    pending = reply.pending
    return {
        "text": reply.text,
        "title": reply.title,
        "items": [{"label": item.label, "detail": item.detail} for item in reply.items],
        "approval_id": reply.approval_id,
        "choices": list(reply.choices),
        "asked": reply.asked,
        "asked_by": reply.asked_by,
        "note": reply.note,
        "pending": None
        if pending is None
        else {
            "action": pending.action,
            "values": [list(pair) for pair in pending.values],
            "missing": list(pending.missing),
            "requester": pending.requester,
        },
    }


def _decode_pending(data: object) -> PendingAction | None:
    if data is None:
        return None
    if not isinstance(data, dict):
        raise TypeError("pending")
    return PendingAction(
        action=str(data["action"]),
        values=tuple((str(name), str(value)) for name, value in data["values"]),
        missing=tuple(str(name) for name in data["missing"]),
        requester=str(data.get("requester") or ""),
    )


def _decode_reply(data: object, *, trace_id: str) -> Reply:
    try:
        if not isinstance(data, dict):
            raise TypeError(type(data).__name__)
        title = data["title"]
        if not isinstance(data["text"], str) or not isinstance(title, str | None):
            raise TypeError("text or title")
        items = tuple(ReplyItem(str(item["label"]), str(item["detail"])) for item in data["items"])
        approval_id = data.get("approval_id")
        pending = _decode_pending(data.get("pending"))
        choices = tuple(str(name) for name in data.get("choices") or ())
        note = data.get("note")
    except (KeyError, TypeError, ValueError) as exc:
        raise StorageError(f"malformed reply_json for trace {trace_id!r}") from exc
    return Reply(
        text=data["text"],
        title=title,
        items=items,
        approval_id=str(approval_id) if approval_id is not None else None,
        pending=pending,
        choices=choices,
        asked=str(data.get("asked") or ""),
        asked_by=str(data.get("asked_by") or ""),
        note=str(note) if note is not None else None,
    )


def _outbound(row: Row[*tuple[Any, ...]]) -> Outbound:
    return Outbound(
        trace_id=row.trace_id,
        team_id=row.team_id,
        channel_id=row.channel_id,
        thread_ts=row.thread_ts or None,
        agent=row.agent or "",
        reply=_decode_reply(row.reply_json, trace_id=row.trace_id),
        status=narrow(row.status, _REPLY_STATUSES, column="messages.status"),
        ts=row.ts,
    )


def _stored_message(row: Row[*tuple[Any, ...]]) -> StoredMessage:
    return StoredMessage(
        direction=narrow(row.direction, _DIRECTIONS, column="messages.direction"),
        user_id=row.user_id,
        text=row.text,
        trace_id=row.trace_id,
        ts=row.ts,
        created_at=row.created_at,
    )
