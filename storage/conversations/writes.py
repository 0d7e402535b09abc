"""A turn's message writes, as functions of the caller's connection (see :mod:`storage.ledger`).

A message is unique per ``(trace_id, direction)``, so every write here can be repeated: a
second call for the same trace stores nothing and touches no conversation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import structlog
from sqlalchemy import bindparam, select, update
from sqlalchemy.engine import Connection

from agents.kernel.models import ConversationKey, Inbound, Outbound
from storage._seam import PerDialect, insert
from storage.conversations.replies import encode_reply
from storage.engine import Dialect, Prepared
from storage.tables import conversations, messages

__all__ = [
    "MessageRow",
    "exchange_rows",
    "mark_sent_on",
    "record_exchange_on",
    "record_inbound_on",
    "record_reply_on",
]

log = structlog.get_logger(__name__)

# The writes of every turn are built once (SQLAlchemy then skips rebuilding them and their
# cache keys); the values come as execute() parameters, whose keys name the columns set.
_CREATE_CONVERSATION = PerDialect(
    lambda dialect: Prepared(
        insert(dialect, conversations)
        .on_conflict_do_nothing(
            index_elements=[
                conversations.c.team_id,
                conversations.c.channel_id,
                conversations.c.thread_ts,
            ]
        )
        .returning(conversations.c.id)
    )
)
_FIND_CONVERSATION = Prepared(
    select(conversations.c.id).where(
        conversations.c.team_id == bindparam("team_id"),
        conversations.c.channel_id == bindparam("channel_id"),
        conversations.c.thread_ts == bindparam("thread_ts"),
    )
)
_TOUCH = Prepared(
    update(conversations).where(
        conversations.c.id == bindparam("w_id"), conversations.c.updated_at < bindparam("w_at")
    )
)
_INSERT_MESSAGE = PerDialect(
    lambda dialect: Prepared(
        insert(dialect, messages)
        .on_conflict_do_nothing(index_elements=[messages.c.trace_id, messages.c.direction])
        .returning(messages.c.id)
    )
)
_MARK_SENT = Prepared(
    update(messages).where(
        messages.c.trace_id == bindparam("w_trace_id"), messages.c.direction == "out"
    )
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
    _record_messages_on(connection, dialect, exchange_rows(inbound, outbound, now=now))


def exchange_rows(
    inbound: Inbound, outbound: Outbound, *, now: datetime
) -> tuple[MessageRow, MessageRow]:
    """The rows :func:`record_exchange_on` stores: the person's message, then the reply."""
    return _inbound_message(inbound), _reply_message(outbound, now=now)


def mark_sent_on(connection: Connection, *, trace_id: str, ts: str) -> None:
    """Record in the caller's transaction that Slack accepted the reply, with its ts."""
    values = {"w_trace_id": trace_id, "status": "sent", "ts": ts}
    if not _MARK_SENT.execute(connection, values).rowcount:
        log.warning("reply_not_found", trace_id=trace_id)


@dataclass(frozen=True, slots=True)
class MessageRow:
    """A message to store: its conversation, when it was recorded, its column values."""

    key: ConversationKey
    at: datetime
    values: dict[str, Any]


def _inbound_message(inbound: Inbound) -> MessageRow:
    return MessageRow(
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


def _reply_message(outbound: Outbound, *, now: datetime) -> MessageRow:
    return MessageRow(
        ConversationKey(outbound.team_id, outbound.channel_id, outbound.thread_ts or ""),
        now,
        {
            "direction": "out",
            "user_id": "",  # the bot itself
            "text": outbound.reply.text,
            "trace_id": outbound.trace_id,
            "agent": outbound.agent,
            "reply_json": encode_reply(outbound.reply),
            "status": outbound.status,
            "ts": outbound.ts,
        },
    )


def _record_messages_on(
    connection: Connection, dialect: Dialect, batch: Sequence[MessageRow]
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
            inserted = _INSERT_MESSAGE[dialect].execute(
                connection,
                {"conversation_id": conversation_id, "created_at": message.at, **message.values},
            )
            if inserted.first() is not None:
                new.append(message.at)
        # A conversation created here already carries its newest message's time.
        if new and not created:
            at = max(new)
            _TOUCH.execute(connection, {"w_id": conversation_id, "w_at": at, "updated_at": at})


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
    created = _CREATE_CONVERSATION[dialect].execute(
        connection, {**where, "created_at": created_at, "updated_at": updated_at}
    )
    new_id: int | None = created.scalar_one_or_none()
    if new_id is not None:
        return new_id, True
    old_id: int = _FIND_CONVERSATION.execute(connection, where).scalar_one()
    return old_id, False
