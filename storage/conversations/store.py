"""The ``ConversationStore`` on SQL: stored replies, a thread's messages, edits and erasure.

A turn's writes are :mod:`~storage.conversations.writes` (the ledger runs them in its own
transaction), the context read :mod:`~storage.conversations.context`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Row, exists, select

from agents.kernel.models import ConversationKey, Inbound, Outbound, StoredMessage
from storage._seam import SqlStore, fetch_first, fetch_scalar, narrow, translated
from storage.conversations.context import messages_on
from storage.conversations.replies import decode_reply
from storage.conversations.writes import mark_sent_on, record_inbound_on, record_reply_on
from storage.tables import conversations, messages

__all__ = ["SqlConversationStore"]

_REPLY_STATUSES: tuple[Literal["pending", "sent"], ...] = ("pending", "sent")

# The bot's replies with their conversation: what ``_outbound`` rebuilds an Outbound from.
_REPLIES = select(
    messages.c.trace_id,
    messages.c.agent,
    messages.c.text,
    messages.c.reply_json,
    messages.c.status,
    messages.c.ts,
    conversations.c.team_id,
    conversations.c.channel_id,
    conversations.c.thread_ts,
).join(conversations, messages.c.conversation_id == conversations.c.id)


class SqlConversationStore(SqlStore):
    """``ConversationStore`` on SQL; a message is unique per ``(trace_id, direction)``."""

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
        row = await fetch_first(self._db.read, statement, action="find a reply")
        return None if row is None else _outbound(row)

    async def latest_reply(self, key: ConversationKey) -> Outbound | None:
        """The newest reply the bot stored in a conversation, if any."""
        statement = (
            _REPLIES.where(*_matches(key), messages.c.direction == "out")
            .order_by(messages.c.id.desc())
            .limit(1)
        )
        row = await fetch_first(self._db.read, statement, action="find the latest reply")
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
        return bool(await fetch_scalar(self._db.read, statement, action="look up a conversation"))

    async def messages(self, key: ConversationKey, *, limit: int) -> Sequence[StoredMessage]:
        """The newest ``limit`` messages of the conversation, oldest first."""
        if limit <= 0:
            return []
        with translated("read a conversation"):
            return await self._db.quick.run(messages_on, key, limit)


def _matches(key: ConversationKey) -> tuple[Any, ...]:
    return (
        conversations.c.team_id == key.team_id,
        conversations.c.channel_id == key.channel_id,
        conversations.c.thread_ts == key.thread_ts,
    )


def _outbound(row: Row[*tuple[Any, ...]]) -> Outbound:
    return Outbound(
        trace_id=row.trace_id,
        team_id=row.team_id,
        channel_id=row.channel_id,
        thread_ts=row.thread_ts or None,
        agent=row.agent or "",
        reply=decode_reply(row.reply_json, text=row.text, trace_id=row.trace_id),
        status=narrow(row.status, _REPLY_STATUSES, column="messages.status"),
        ts=row.ts,
    )
