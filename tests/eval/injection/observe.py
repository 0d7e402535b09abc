"""What one case did, as Slack and the database show it: the difference before and after.

:func:`mark` notes where every record stands before a case; :func:`observe` reads what the
case added: every Web API call (and response_url post) Slack received, the bot's messages as
they stand in the case's channel at the end, the model's requests, the deploy API's applied
writes, and the approvals, traces, notes and pinned facts of the case's channel.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from agents.actions.spec import ActionSpec
from sandbox import ApiCall
from tests.eval.injection.cases import Case
from tests.eval.injection.world import BOT, World

__all__ = ["Applied", "ApprovalRow", "Mark", "NoteRow", "Observation", "mark", "observe"]


@dataclass(frozen=True, slots=True)
class Mark:
    """Where the shared records stood before a case."""

    calls: int
    requests: int
    applied: int
    notes: frozenset[str]


@dataclass(frozen=True, slots=True)
class Applied:
    """A write the deploy API applied (it really happened)."""

    operation: str
    body: Mapping[str, Any]
    idempotency_key: str | None


@dataclass(frozen=True, slots=True)
class ApprovalRow:
    """An approval request of the case's channel, as stored."""

    id: str
    action: str
    params: Mapping[str, Any]
    requester: str
    state: str
    quorum: int
    voters: tuple[str, ...]
    idempotency_key: str
    trace_agent: str | None


@dataclass(frozen=True, slots=True)
class NoteRow:
    """A long-term note stored during the case."""

    text: str
    author: str
    scope: str


@dataclass(frozen=True, slots=True)
class TraceRow:
    """One turn of the case's channel: who asked, which agent answered, its tool calls."""

    user: str
    agent: str
    tool_calls: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Observation:
    """Everything a detector may look at for one case.

    Attributes:
        calls: what Slack received during the case (every method; response_url posts too).
        final: the bot's messages in the case's channel as Slack shows them at the end.
        requests: the bodies of the model requests made during the case.
        obeyed: how many model answers obeyed the injection.
        humans: what people posted in the case, as ``(user, text)``.
        approved_by: ``(approval id, user)`` of each approve click a person made in the case.
    """

    case: Case
    actions: Mapping[str, ActionSpec]
    calls: tuple[ApiCall, ...]
    final: tuple[Mapping[str, Any], ...]
    requests: tuple[Mapping[str, Any], ...]
    obeyed: int
    applied: tuple[Applied, ...] = ()
    approvals: tuple[ApprovalRow, ...] = ()
    traces: tuple[TraceRow, ...] = ()
    notes: tuple[NoteRow, ...] = ()
    pins: tuple[str, ...] = ()
    humans: tuple[tuple[str, str], ...] = ()
    approved_by: frozenset[tuple[str, str]] = field(default_factory=frozenset)

    @property
    def reached(self) -> bool:
        """Whether the injection reached the model at all (its tag was in a request)."""
        return any(self.case.tag in json.dumps(body) for body in self.requests)


async def mark(world: World) -> Mark:
    """Where the shared records stand now."""
    notes = await world.rows("SELECT note_id FROM notes")
    return Mark(
        calls=len(world.sandbox.calls),
        requests=len(world.llm.requests),
        applied=len(world.sandbox.deploy_api.applied),
        notes=frozenset(str(row["note_id"]) for row in notes),
    )


async def observe(
    world: World,
    case: Case,
    since: Mark,
    *,
    obeyed: int,
    humans: Sequence[tuple[str, str]],
    approved_by: frozenset[tuple[str, str]] = frozenset(),
) -> Observation:
    """Read what ``case`` added since ``since``."""
    api = world.sandbox.deploy_api
    applied = tuple(
        Applied(operation, body, key)
        for (operation, body), key in zip(
            api.applied[since.applied :], api.applied_keys[since.applied :], strict=True
        )
    )
    requests = tuple(r.body or {} for r in world.llm.requests[since.requests :])
    return Observation(
        case=case,
        actions={action.name: action for action in world.config.actions},
        calls=tuple(world.calls_since(since.calls)),
        final=tuple(_final_messages(world, case)),
        requests=requests,
        obeyed=obeyed,
        applied=applied,
        approvals=await _approvals(world, case),
        traces=await _traces(world, case),
        notes=await _notes(world, since),
        pins=await _pins(world, case),
        humans=tuple(humans),
        approved_by=approved_by,
    )


def _final_messages(world: World, case: Case) -> list[Mapping[str, Any]]:
    """The bot's messages of the case's channel (thread replies included) as they are now."""
    store = world.sandbox.workspace.store
    found: list[Mapping[str, Any]] = []
    for message in store.timeline(case.channel):
        for item in [message, *store.thread(case.channel, str(message["ts"]))[1:]]:
            if item.get("user") == BOT or item.get("bot_id"):
                found.append(item)
    return found


async def _approvals(world: World, case: Case) -> tuple[ApprovalRow, ...]:
    rows = await world.rows(
        "SELECT a.id, a.action, a.params_json, a.requester, a.state, a.quorum, a.approvals_json,"
        " a.idempotency_key, t.agent FROM approvals a"
        " LEFT JOIN traces t ON t.trace_id = a.trace_id WHERE a.channel_id = :channel",
        channel=case.channel,
    )
    return tuple(
        ApprovalRow(
            id=str(row["id"]),
            action=str(row["action"]),
            params=_mapping(row["params_json"]),
            requester=str(row["requester"]),
            state=str(row["state"]),
            quorum=int(row["quorum"]),
            voters=tuple(_json(row["approvals_json"])),
            idempotency_key=str(row["idempotency_key"]),
            trace_agent=row["agent"],
        )
        for row in rows
    )


async def _traces(world: World, case: Case) -> tuple[TraceRow, ...]:
    rows = await world.rows(
        "SELECT user_id, agent, tool_calls FROM traces WHERE channel_id = :channel",
        channel=case.channel,
    )
    return tuple(
        TraceRow(str(row["user_id"]), str(row["agent"]), tuple(_json(row["tool_calls"])))
        for row in rows
    )


async def _notes(world: World, since: Mark) -> tuple[NoteRow, ...]:
    rows = await world.rows("SELECT note_id, text, author, scope FROM notes")
    return tuple(
        NoteRow(str(row["text"]), str(row["author"]), str(row["scope"]))
        for row in rows
        if str(row["note_id"]) not in since.notes
    )


async def _pins(world: World, case: Case) -> tuple[str, ...]:
    rows = await world.rows(
        "SELECT facts FROM thread_memory WHERE channel_id = :channel", channel=case.channel
    )
    return tuple(str(fact) for row in rows for fact in _json(row["facts"]))


def _mapping(value: Any) -> dict[str, Any]:
    decoded = json.loads(value) if isinstance(value, str) else value
    return dict(decoded or {})


def _json(value: Any) -> list[Any]:
    decoded = json.loads(value) if isinstance(value, str) else value
    return list(decoded or [])
