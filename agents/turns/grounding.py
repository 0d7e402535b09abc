"""Grounded answers: what Switchboard says it did comes from its records, never from a model.

During a turn each tool call ends somewhere the records show: refused by the planner (not an
action the agent offers the person, invalid arguments, over the turn's tool-call limit),
refused by policy or for its parameters, a question for a missing parameter, answered from
the read cache, running at once (no approval needed, its job queued), or proposed (an
approval card, waiting for its approvers). :func:`ground` turns those records into one
system-written line that every answer a model took part in carries when it involved actions
(``Switchboard: proposed `deploy` service=api env=prod (waiting for 1 approval) · refused
`failover`: not an action this agent offers you``).

The model's own words are checked against the same records (:mod:`agents.turns.claims`).
When they claim an action ran, was approved or succeeded and the records of the turn do not
show it, the answer is *marked*, not withheld: it opens with a warning of what the records
do show (``⚠️ Not confirmed by Switchboard's records: no action ran in this turn``) and the
model's text follows as a quote, so it is never presented in Switchboard's voice and a
reviewer still sees what the model said. The turn's trace records ``degraded =
ungrounded_claim`` and the turn joins the review queue.

Streaming follows the same rule (:class:`ClaimGate`): the model's words reach Slack only
once the words after them are known and nothing so far claims anything; the first claim
stops the live text for the rest of the turn, and the checked (marked) answer replaces what
was shown when the turn ends. The planner streams nothing a model writes after a tool call.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Literal

import structlog

from agents.actions.proposals import Requested
from agents.actions.spec import ParamValue
from agents.kernel.models import Reply
from agents.kernel.redaction import redact
from agents.llm.chat import TextSink
from agents.turns.claims import (
    LOOKAHEAD_WORDS,
    NEVER_BACKED,
    REACH_WORDS,
    ActionVerbs,
    Claim,
    find_claims,
    finished_words,
)
from agents.turns.plan import Plan

__all__ = [
    "UNGROUNDED_CLAIM",
    "WARNING",
    "CallOutcome",
    "CallRecord",
    "ClaimGate",
    "ground",
    "marked",
    "planner_calls",
    "record_line",
    "requested_call",
    "unconfirmed",
]

log = structlog.get_logger(__name__)

UNGROUNDED_CLAIM = "ungrounded_claim"
"""The trace's ``degraded`` value of a turn whose model claimed what the records do not show
(the review queue lists these turns; it is not a fallback and counts as none)."""

WARNING = "⚠️ Not confirmed by Switchboard's records:"
"""How a marked answer opens."""

CallOutcome = Literal["refused", "asked", "proposed", "started", "cached", "read"]

_PLANNER_REFUSALS = {
    "refused_scope": "not an action this agent offers you",
    "invalid_args": "its arguments were invalid",
    "over_cap": "over this turn's tool-call limit",
}
"""What the LLM planner records for a tool call it refused (``name:outcome`` in the trace),
and how the record line says it. A ``name:proposed`` call is recorded by the proposal's own
outcome; anything else there (a provider's failure, ``primary:timeout``) is not a call."""

_READS = {
    "succeeded": "succeeded",
    "failed": "failed",
    "unknown": "outcome unknown",
    "not_finished": "still running; its result goes to the thread",
}
"""A read the planner ran within the turn (``name:read_<status>`` in the trace), as the
record line says it; ``read_refused`` is a refusal."""

_REQUEST_REFUSALS = {"denied": "not allowed by policy", "invalid": "invalid parameters"}
_RAN: frozenset[CallOutcome] = frozenset({"started", "cached", "read"})
_PHRASES: dict[CallOutcome, str] = {
    "refused": "refused {name}: {detail}",
    "asked": "asked for {detail} before {name} can be requested",
    "proposed": "proposed {name}{shown} ({detail})",
    "started": "running {name}{shown} (no approval needed)",
    "read": "read {name}{shown}: {detail}",
    "cached": "answered {name}{shown} from a recent run",
}
"""How the record line words each outcome (``name`` the action, ``shown`` its values)."""
_HELD = LOOKAHEAD_WORDS + REACH_WORDS  # finished words the live text keeps back


@dataclass(frozen=True, slots=True)
class CallRecord:
    """What the records say became of one tool call (or one requested action).

    Attributes:
        detail: why it was refused, what it is waiting for, or what is still missing.
        values: its parameters as shown (``service=api env=prod``), when known.
    """

    action: str
    outcome: CallOutcome
    detail: str = ""
    values: str = ""

    @property
    def ran(self) -> bool:
        """Whether the records show it run (running now, or answered from a recent run)."""
        return self.outcome in _RAN

    def phrase(self) -> str:
        """This call in the record line."""
        shown = f" {self.values}" if self.values else ""
        return _PHRASES[self.outcome].format(
            name=f"`{self.action}`", shown=shown, detail=self.detail
        )


def planner_calls(tool_calls: Sequence[str]) -> tuple[CallRecord, ...]:
    """The planner's refused tool calls and the reads it ran, from the trace's
    ``name:outcome`` entries."""
    records = []
    for entry in tool_calls:
        name, _, outcome = entry.rpartition(":")
        status = outcome.removeprefix("read_") if outcome.startswith("read_") else None
        if name and status in _READS:
            records.append(CallRecord(name, "read", _READS[status]))
            continue
        if name and status == "refused":
            records.append(CallRecord(name, "refused", "it could not run in this turn"))
            continue
        detail = _PLANNER_REFUSALS.get(outcome)
        if name and detail is not None:
            records.append(CallRecord(name, "refused", detail))
    return tuple(records)


def requested_call(action: str, requested: Requested) -> CallRecord:
    """What became of a request for ``action``, as the proposal's outcome says."""
    values = _shown(requested.values)
    outcome = requested.outcome
    if outcome in _REQUEST_REFUSALS:
        return CallRecord(action, "refused", _REQUEST_REFUSALS[outcome])
    if outcome == "asked":
        pending = requested.reply.pending
        missing = ", ".join(pending.missing) if pending is not None else "a parameter"
        return CallRecord(action, "asked", missing, values)
    if outcome == "proposed":
        count = requested.quorum
        waiting = f"waiting for {count} approval{'s' if count != 1 else ''}"
        return CallRecord(action, "proposed", waiting, values)
    return CallRecord(action, "started" if outcome == "started" else "cached", "", values)


def _shown(values: Mapping[str, ParamValue]) -> str:
    return " ".join(f"{name}={value}" for name, value in values.items())


def record_line(calls: Sequence[CallRecord]) -> str | None:
    """The system-written line of what the turn's tool calls came to; None without calls."""
    if not calls:
        return None
    return redact("Switchboard: " + " · ".join(call.phrase() for call in calls))


def unconfirmed(text: str, calls: Sequence[CallRecord], verbs: ActionVerbs) -> tuple[Claim, ...]:
    """The claims in ``text`` that ``calls`` do not back.

    An action's verb is backed when that action ran; a verb no configured action is named
    after is never backed; a generic claim (``Done``, ``ran``, ``succeeded``, ``approved``)
    is backed when an action its clause names ran (``the deploy succeeded``: `deploy`), or,
    naming none, when any action ran in the turn (an action that runs at once was approved
    by policy). A proposal still waiting backs nothing; nor does anything back a claim to
    have stored a note, who may approve, or Switchboard's own line
    (:data:`~agents.turns.claims.NEVER_BACKED`).
    """
    ran = {call.action for call in calls if call.ran}
    return tuple(claim for claim in find_claims(text, verbs) if not _backed(claim, ran))


def _backed(claim: Claim, ran: set[str]) -> bool:
    if claim.kind in NEVER_BACKED:
        return False
    if claim.kind == "action":
        return claim.action in ran
    if claim.named:
        return any(action in ran for action in claim.named)
    return bool(ran)


def marked(text: str, calls: Sequence[CallRecord]) -> str:
    """``text`` as a quote under a warning of what the records show instead."""
    ran = sorted({call.action for call in calls if call.ran})
    facts = (
        "only " + ", ".join(f"`{name}`" for name in ran) + " ran in this turn"
        if ran
        else "no action ran in this turn"
    )
    waiting = [call.action for call in calls if call.outcome == "proposed"]
    if waiting:
        facts += "; " + ", ".join(f"`{name}`" for name in waiting) + " is waiting for approval"
    return (
        f"{WARNING} {facts}. The model's answer below claims more; it is quoted, not "
        f"Switchboard's word.\n{_quoted(text)}"
    )


def _quoted(text: str) -> str:
    return "\n".join(f"> {line}" if line.strip() else ">" for line in text.splitlines())


def _marked_reply(reply: Reply, model_text: str, calls: Sequence[CallRecord]) -> Reply:
    """``reply`` with ``model_text`` marked: the whole text when the model wrote it, else
    (an agent's reply holding a model's composed words) the words where they stand."""
    warned = marked(model_text, calls)
    if reply.composed is None or model_text not in reply.text:
        return replace(reply, text=warned, composed=None)
    items = tuple(
        replace(item, detail=_quoted(model_text)) if item.detail == model_text else item
        for item in reply.items
    )
    return replace(
        reply, text=reply.text.replace(model_text, warned, 1), items=items, composed=None
    )


def ground(
    plan: Plan,
    reply: Reply,
    *,
    requested: Requested | None,
    model_text: str | None,
    verbs: ActionVerbs,
) -> tuple[Reply, Plan]:
    """The reply with the turn's record line, the model's unbacked claims marked, and the
    plan to record (``degraded`` says ``ungrounded_claim`` when a claim was marked).

    Args:
        requested: what became of the plan's proposal, if one was made.
        model_text: the model's words, when they are the reply's text or, as
            ``reply.composed``, part of it (the knowledge agent's composed answer).
    """
    by_planner = planner_calls(plan.tool_calls)
    calls = by_planner
    if requested is not None and plan.proposal is not None:
        calls += (requested_call(plan.proposal.action.name, requested),)
    if model_text is not None:
        claims = unconfirmed(model_text, calls, verbs)
        if claims:
            log.warning(
                "ungrounded_claim",
                claims=[claim.words for claim in claims],
                tool_calls=list(plan.tool_calls),
            )
            reply = _marked_reply(reply, model_text, calls)
            plan = replace(plan, degraded=UNGROUNDED_CLAIM)
    if plan.planner == "llm" or by_planner:  # replies wholly ours need no second account
        reply = replace(reply, record=record_line(calls))
    return reply, plan


class ClaimGate:
    """The model's streamed text, passed on to ``sink`` only while it claims nothing.

    Words go on once enough finished words follow them that no claim can still take them in
    (:data:`~agents.turns.claims.LOOKAHEAD_WORDS` after a claim's deciding word, which is up
    to :data:`~agents.turns.claims.REACH_WORDS` after its first) and nothing written so far
    claims an action, an approval, a result, a note or a permission (records play no part:
    nothing a model writes while planning has run yet). The first claim closes the
    gate for the rest of the turn; the turn's checked answer then replaces what was shown.
    """

    def __init__(self, sink: TextSink, verbs: ActionVerbs) -> None:
        self._sink = sink
        self._verbs = verbs
        self._raw = ""
        self._released = 0
        self._words = 0  # finished words at the last check
        self._closed = False

    @property
    def closed(self) -> bool:
        """Whether a claim stopped the live text."""
        return self._closed

    async def text(self, piece: str) -> None:
        """Take the next piece; pass on what the words after it can no longer make a claim."""
        self._raw += piece
        if self._closed:
            return
        words = finished_words(self._raw)
        if len(words) <= self._words:
            return  # no word finished since the last check: nothing new to pass on
        self._words = len(words)
        if self._claims(self._raw[: words[-1][1]]) or len(words) <= _HELD:
            return
        await self._release(words[-_HELD][0])

    async def finish(self) -> None:
        """The model is done: pass on the rest, if the whole text claims nothing."""
        if not self._closed and not self._claims(self._raw):
            await self._release(len(self._raw))

    def _claims(self, text: str) -> bool:
        found = find_claims(text, self._verbs)
        if found:
            self._closed = True
            log.info("answer_stream_withheld", claim=found[0].words)
        return bool(found)

    async def _release(self, end: int) -> None:
        if end > self._released:
            piece, self._released = self._raw[self._released : end], end
            await self._sink(piece)
