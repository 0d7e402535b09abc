"""Slack payloads -> domain ``Inbound``: pure functions, pydantic for the fields we read.

Slack sends many more keys than these; extra keys are ignored. A payload missing a field we
need parses to ``None`` (the caller acks it quietly), never to an exception.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from agents.kernel.models import Inbound
from agents.kernel.redaction import redact

__all__ = [
    "Candidate",
    "EventFields",
    "command_inbound",
    "event_candidate",
    "event_fields",
    "is_bot_message",
    "message_change",
    "message_inbound",
    "strip_mention",
]

_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")


class EventFields(BaseModel):
    """The fields of a ``message`` / ``app_mention`` event that Switchboard reads."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    type: str
    channel: str
    user: str | None = None
    text: str = ""
    ts: str
    thread_ts: str | None = None
    channel_type: str | None = None
    subtype: str | None = None
    bot_id: str | None = None


class _CommandFields(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    team_id: str
    channel_id: str
    user_id: str
    command: str
    text: str = ""
    trigger_id: str


Candidate = Literal["mention", "dm", "thread_reply", "ignore"]


def event_fields(event: Mapping[str, Any]) -> EventFields | None:
    """Parse the fields we read from an event, or ``None`` if any required one is missing."""
    try:
        return EventFields.model_validate(event)
    except ValidationError:
        return None


def is_bot_message(fields: EventFields) -> bool:
    """Messages from apps and bots (including ours) are never answered."""
    return fields.bot_id is not None or fields.subtype == "bot_message"


def event_candidate(fields: EventFields, *, bot_user_id: str | None) -> Candidate:
    """Classify an event before any IO.

    ``app_mention`` answers mentions; ``message`` events answer direct messages and thread
    replies (the caller then checks the bot takes part in the thread). A channel message that
    mentions the bot arrives as both events: only the ``app_mention`` is answered.
    """
    if fields.subtype is not None or fields.user is None or is_bot_message(fields):
        return "ignore"
    if fields.type == "app_mention":
        return "mention"
    if fields.type != "message":
        return "ignore"
    if fields.channel_type == "im":
        return "dm"
    mentions_bot = bot_user_id is not None and f"<@{bot_user_id}" in fields.text
    if fields.thread_ts and fields.thread_ts != fields.ts and not mentions_bot:
        return "thread_reply"
    return "ignore"


def strip_mention(text: str, bot_user_id: str | None) -> str:
    """Remove mentions of the bot from the text (other users' mentions stay)."""
    if bot_user_id is None:
        return text.strip()
    return _MENTION.sub(lambda m: "" if m.group(1) == bot_user_id else m.group(0), text).strip()


def message_inbound(
    fields: EventFields,
    *,
    kind: Candidate,
    team_id: str,
    event_id: str,
    trace_id: str,
    bot_user_id: str | None,
    now: datetime,
) -> Inbound:
    """Build the ``Inbound`` for a mention, DM or thread reply already classified."""
    assert fields.user is not None  # event_candidate returned a kind only when a user is set
    if kind == "dm":
        source: Literal["mention", "dm", "thread"] = "dm"
        thread_ts = fields.thread_ts  # a top-level DM is answered at top level
    elif kind == "mention":
        source, thread_ts = "mention", fields.thread_ts or fields.ts
    else:
        source, thread_ts = "thread", fields.thread_ts
    return Inbound(
        team_id=team_id,
        channel_id=fields.channel,
        user_id=fields.user,
        text=redact(strip_mention(fields.text, bot_user_id)),
        source=source,
        event_id=event_id,
        trace_id=trace_id,
        received_at=now,
        ts=fields.ts,
        thread_ts=thread_ts,
    )


def command_inbound(body: Mapping[str, Any], *, trace_id: str, now: datetime) -> Inbound | None:
    """Build the ``Inbound`` for a slash command, or ``None`` if the payload is incomplete.

    Slash commands carry no event id; the one-time ``trigger_id`` is the dedupe key.
    """
    try:
        fields = _CommandFields.model_validate(body)
    except ValidationError:
        return None
    return Inbound(
        team_id=fields.team_id,
        channel_id=fields.channel_id,
        user_id=fields.user_id,
        text=redact(fields.text.strip()),
        source="command",
        event_id=f"cmd:{fields.trigger_id}",
        trace_id=trace_id,
        received_at=now,
    )


@dataclass(frozen=True, slots=True)
class MessageChange:
    """A person's message edited (``text`` is the new text) or deleted (``text`` is None)."""

    channel: str
    ts: str
    text: str | None


def message_change(event: Mapping[str, Any]) -> MessageChange | None:
    """Parse a ``message_changed`` / ``message_deleted`` event; None if fields are missing."""
    channel = event.get("channel")
    if not isinstance(channel, str) or not channel:
        return None
    if event.get("subtype") == "message_deleted":
        ts = event.get("deleted_ts") or (event.get("previous_message") or {}).get("ts")
        return MessageChange(channel, ts, None) if isinstance(ts, str) and ts else None
    message = event.get("message")
    if not isinstance(message, dict):
        return None
    ts, text = message.get("ts"), message.get("text")
    if not (isinstance(ts, str) and ts and isinstance(text, str)):
        return None
    return MessageChange(channel, ts, text)
