"""Domain values: what came in, where it was routed, what goes out, what was recorded.

Frozen dataclasses only; pydantic lives at the edges (settings, Slack payloads).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

__all__ = [
    "AgentInfo",
    "ConversationKey",
    "EventStatus",
    "Inbound",
    "Outbound",
    "PendingAction",
    "Reply",
    "ReplyItem",
    "Route",
    "RouteReason",
    "Source",
    "StoredMessage",
    "Trace",
    "TurnOutcome",
]

Source = Literal["mention", "dm", "thread", "command"]
"""How a message reached the bot: an @mention, a direct message, a reply in a thread the bot
takes part in, or the ``/ops`` slash command."""

RouteReason = Literal["explicit", "action", "pending", "keyword", "fallback"]
TurnOutcome = Literal["replied", "agent_error"]
EventStatus = Literal["claimed", "done", "failed"]


@dataclass(frozen=True, slots=True)
class ConversationKey:
    """One conversation: a Slack thread, or a channel's top level when ``thread_ts`` is ``""``."""

    team_id: str
    channel_id: str
    thread_ts: str


@dataclass(frozen=True, slots=True)
class Inbound:
    """One message from a person, as the domain sees it (no Slack payload inside).

    Attributes:
        event_id: the delivery's dedupe key within the team (Slack's ``event_id``, or
            ``cmd:<trigger_id>`` for a slash command).
        trace_id: the id of the one turn this message starts; it appears in logs, the stored
            trace, metrics and the reply's Slack metadata.
        ts: the message's Slack timestamp (``""`` for a slash command).
        thread_ts: the thread the reply belongs in, or ``None`` to answer at top level.
    """

    team_id: str
    channel_id: str
    user_id: str
    text: str
    source: Source
    event_id: str
    trace_id: str
    received_at: datetime
    ts: str = ""
    thread_ts: str | None = None

    @property
    def conversation(self) -> ConversationKey:
        """The conversation this message belongs to."""
        return ConversationKey(self.team_id, self.channel_id, self.thread_ts or "")


@dataclass(frozen=True, slots=True)
class AgentInfo:
    """What the router and the help agent know of an agent."""

    name: str
    description: str
    keywords: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Route:
    """The router's decision for one message.

    Attributes:
        agent: the chosen agent's name.
        reason: why it was chosen (explicit prefix or sub-command, keyword match, fallback).
        score: confidence in [0, 1]: 1.0 explicit, hits/(hits+1) for keywords, 0.0 fallback.
        text: the message text with any explicit agent prefix removed.
    """

    agent: str
    reason: RouteReason
    score: float
    text: str


@dataclass(frozen=True, slots=True)
class ReplyItem:
    """One labelled line of a reply (an agent in the help list, a field of a status)."""

    label: str
    detail: str


@dataclass(frozen=True, slots=True)
class PendingAction:
    """An action the bot asked the person to complete (slot filling) in this conversation.

    Attributes:
        values: the raw values given so far, as ``(name, value)`` pairs.
        missing: the parameters still needed, in the order they are asked for.
        requester: who asked; only their answer completes the action.
    """

    action: str
    values: tuple[tuple[str, str], ...]
    missing: tuple[str, ...]
    requester: str = ""


@dataclass(frozen=True, slots=True)
class Reply:
    """A platform-neutral answer; one pure module in ``handlers`` turns it into Block Kit.

    Attributes:
        text: the answer as plain text (also Slack's notification fallback).
        title: an optional heading.
        items: optional labelled lines rendered as a list.
        approval_id: the reply is the card of this approval request.
        pending: the reply asks for missing parameters of this action.
    """

    text: str
    title: str | None = None
    items: tuple[ReplyItem, ...] = ()
    approval_id: str | None = None
    pending: PendingAction | None = None


@dataclass(frozen=True, slots=True)
class Outbound:
    """A reply owed to a conversation, stored before it is posted so that none is lost.

    Attributes:
        status: ``pending`` until Slack confirmed the post, then ``sent`` with its ``ts``.
    """

    trace_id: str
    team_id: str
    channel_id: str
    thread_ts: str | None
    agent: str
    reply: Reply
    status: Literal["pending", "sent"] = "pending"
    ts: str | None = None


@dataclass(frozen=True, slots=True)
class StoredMessage:
    """A message of a conversation as stored (inbound from a person or outbound from us)."""

    direction: Literal["in", "out"]
    user_id: str
    text: str
    trace_id: str
    ts: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Trace:
    """The record of one turn: where it went, how long each step took, how it ended."""

    trace_id: str
    team_id: str
    channel_id: str
    user_id: str
    event_id: str
    source: Source
    agent: str
    route_reason: RouteReason
    route_score: float
    outcome: TurnOutcome
    started_at: datetime
    route_ms: float
    agent_ms: float
    total_ms: float
    error: str | None = None
    delivered_at: datetime | None = None
