"""The messages an erasure is about, as stored: what their copies are found by."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.engine import Connection

from agents.kernel.models import ConversationKey, Inbound
from agents.memory.copies import TOMBSTONE
from storage.tables import conversations, events, messages

__all__ = ["Said", "said_at_on", "said_of"]


@dataclass(frozen=True, slots=True)
class Said:
    """One message a person wrote, in the turn ``trace_id``: its old words and where and when
    they were said (a miss or an incident note taken from them comes after ``at``)."""

    trace_id: str
    conversation: ConversationKey
    user_id: str
    ts: str
    text: str
    at: datetime


def said_of(inbound: Inbound) -> Said:
    """The message a turn answers, as the turn saw it."""
    return Said(
        inbound.trace_id,
        inbound.conversation,
        inbound.user_id,
        inbound.ts,
        inbound.text,
        inbound.received_at,
    )


def said_at_on(connection: Connection, *, team_id: str, channel_id: str, ts: str) -> list[Said]:
    """The message with Slack timestamp ``ts`` in the channel: its stored copies, and its
    deliveries still being worked on (a turn that has not stored its message yet)."""
    stored = connection.execute(
        select(
            messages.c.trace_id,
            messages.c.user_id,
            messages.c.text,
            messages.c.created_at,
            conversations.c.thread_ts,
        )
        .join(conversations, messages.c.conversation_id == conversations.c.id)
        .where(
            messages.c.direction == "in",
            messages.c.ts == ts,
            conversations.c.team_id == team_id,
            conversations.c.channel_id == channel_id,
        )
    ).all()
    claimed = connection.execute(
        select(
            events.c.trace_id,
            events.c.user_id,
            events.c.text,
            events.c.received_at.label("created_at"),
            events.c.thread_ts,
        ).where(
            events.c.status == "claimed",  # finished deliveries hold no text
            events.c.team_id == team_id,
            events.c.channel_id == channel_id,
            events.c.ts == ts,
            events.c.text != TOMBSTONE,
        )
    ).all()
    found: dict[str, Said] = {}
    for row in (*stored, *claimed):
        key = ConversationKey(team_id, channel_id, row.thread_ts or "")
        found.setdefault(
            row.trace_id, Said(row.trace_id, key, row.user_id, ts, row.text, row.created_at)
        )
    return list(found.values())
