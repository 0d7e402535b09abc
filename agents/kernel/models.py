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
    "PlanAccount",
    "PlannerName",
    "Reply",
    "ReplyItem",
    "Route",
    "RouteReason",
    "Source",
    "StoredMessage",
    "Takeover",
    "Trace",
    "TurnOutcome",
]

Source = Literal["mention", "dm", "thread", "command"]
"""How a message reached the bot: an @mention, a direct message, a reply in a thread the bot
takes part in, or the ``/ops`` slash command."""

RouteReason = Literal[
    "explicit", "binding", "action", "pending", "keyword", "example", "llm", "ask", "fallback"
]
"""Why the router chose an agent: an explicit prefix or sub-command, the channel's binding, an
action's command format, an open question in the thread, keyword or example-utterance score,
the LLM classifier, or none confident enough (``ask``: the person is asked, with buttons)."""
TurnOutcome = Literal["replied", "agent_error", "refused", "stopped"]
PlannerName = Literal["none", "rules", "llm"]
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
class Takeover:
    """A process taking over deliveries whose holder is gone (the edge's crash recovery;
    the domain itself never sees a claim).

    Attributes:
        owner: the process taking them; each is leased to it until ``lease_until``.
        now: a lease that ran out by then counts as gone.
        claimed_before: only deliveries claimed before this are taken.
        held_too: take those still under a live lease as well (the only process, starting,
            knows their holder is gone).
        limit: at most this many, oldest first.
    """

    owner: str
    now: datetime
    lease_until: datetime
    claimed_before: datetime
    held_too: bool = False
    limit: int = 100


@dataclass(frozen=True, slots=True)
class AgentInfo:
    """What the router and the help agent know of an agent.

    Attributes:
        keywords: words (or phrases) that point at this agent.
        examples: example utterances; a message sharing many words with one scores high.
        channels: channel ids bound to this agent (messages there go to it by default).
        owner: who to ask about the agent (a Slack user id or a team name), for help texts.
    """

    name: str
    description: str
    keywords: tuple[str, ...] = ()
    examples: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    owner: str = ""


@dataclass(frozen=True, slots=True)
class Route:
    """The router's decision for one message.

    Attributes:
        agent: the chosen agent's name.
        reason: why it was chosen (explicit prefix or sub-command, keyword match, fallback).
        score: confidence in [0, 1]: 1.0 explicit, hits/(hits+1) for keywords, 0.0 fallback.
        text: the message text with any explicit agent prefix removed.
        candidates: for ``ask``, the agents to offer (best first).
    """

    agent: str
    reason: RouteReason
    score: float
    text: str
    candidates: tuple[str, ...] = ()


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
        choices: agent names offered as buttons (the router was not sure); ``asked`` is the
            message they would answer, re-routed to the chosen agent; only ``asked_by`` may
            choose.
        note: a short remark shown under the answer (the planner degraded, and why).
        record: what the turn's tool calls came to, written by Switchboard from its own
            records (proposals, approvals, jobs), never by a model; shown under the answer.
        composed: the words of ``text`` a model wrote, in a reply an agent put together
            around them (the knowledge agent's composed answer): the answer step checks them
            against the turn's records like a planner's text. Not stored: the stored reply
            is the checked one.
    """

    text: str
    title: str | None = None
    items: tuple[ReplyItem, ...] = ()
    approval_id: str | None = None
    pending: PendingAction | None = None
    choices: tuple[str, ...] = ()
    asked: str = ""
    asked_by: str = ""
    note: str | None = None
    record: str | None = None
    composed: str | None = None


@dataclass(frozen=True, slots=True)
class Outbound:
    """A reply owed to a conversation, stored before it is posted so that none is lost.

    Attributes:
        status: ``pending`` until Slack confirmed the post, then ``sent`` with its ``ts``.
        outcome: how the turn ended (not stored with the reply: a reply read back from
            storage says ``replied``; the trace keeps the truth).
    """

    trace_id: str
    team_id: str
    channel_id: str
    thread_ts: str | None
    agent: str
    reply: Reply
    status: Literal["pending", "sent"] = "pending"
    ts: str | None = None
    outcome: TurnOutcome = "replied"


@dataclass(frozen=True, slots=True)
class StoredMessage:
    """A message of a conversation as stored (inbound from a person or outbound from us)."""

    direction: Literal["in", "out"]
    user_id: str
    text: str
    trace_id: str
    ts: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class PlanAccount:
    """What planning a turn used and how it went: one owner for the fields a plan carries
    and the turn's trace records (keyword-only, so a subclass keeps its own positional
    fields).

    Attributes:
        provider: the LLM provider that answered, when one did.
        input_tokens, output_tokens, cost_micros: summed over the turn's model calls
            (micro-dollars: 1 USD = 1,000,000).
        degraded: why the turn fell back to a lesser planner (``provider_down``,
            ``budget_agent``...), when it did; or ``ungrounded_claim`` when the model's
            answer claimed what the records do not show (it was marked, and is reviewed).
        tool_calls: each tool call as ``name:outcome`` (``deploy:proposed``,
            ``rollback:refused_scope``, ``scale:invalid_args``).
    """

    provider: str | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    cost_micros: int = 0
    degraded: str | None = None
    tool_calls: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Trace(PlanAccount):
    """The record of one turn: where it went, how long each step took, how it ended, and
    (from :class:`PlanAccount`) what its planning used.

    Attributes:
        planner: who planned the answer: ``rules``, ``llm``, or ``none`` (a built-in reply
            such as help or a refusal).
        stopped_by: who pressed Stop, when the turn was stopped before it answered.
    """

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
    planner: PlannerName = "none"
    stopped_by: str | None = None
