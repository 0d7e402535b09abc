"""What a planner made of one turn: a reply text, a proposed action, or nothing.

A plan never executes anything: a proposed action still goes through policy and approval.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from agents.actions.spec import ActionSpec, ParamValue
from agents.kernel.models import Inbound, PlanAccount, PlannerName, StoredMessage
from agents.llm.chat import TextSink
from agents.memory.notes import Note
from agents.turns.ports import ReadTools
from agents.turns.profiles import AgentProfile

__all__ = ["NO_PLAN", "Plan", "PlanInput", "Proposal", "degraded_note"]

_NOTES = {
    "budget_agent": "the agent's daily LLM budget is spent",
    "budget_user": "your daily LLM budget is spent",
    "budget_channel": "this channel's daily LLM budget is spent",
    "gave_up": "the model did not produce a valid request",
}


def degraded_note(reason: str) -> str:
    """The short note shown in a reply that a lesser planner answered."""
    why = _NOTES.get(reason)
    if why is None and reason.startswith("provider_"):
        why = "the language model is unavailable"
    return f"Answered by the rules planner: {why or reason}."


@dataclass(frozen=True, slots=True)
class Proposal:
    """An action the planner wants to request, with the values it gathered (unvalidated for
    the rules planner, schema-valid for the LLM planner; policy validates both again)."""

    action: ActionSpec
    values: Mapping[str, ParamValue]


@dataclass(frozen=True, slots=True)
class Plan(PlanAccount):
    """What a planner made of one turn, and (from :class:`PlanAccount`, recorded on the
    turn's trace) what planning used.

    Attributes:
        text: an answer to post, when the planner wrote one.
        proposal: an action to request (through policy and approval).
    """

    planner: PlannerName
    text: str | None = None
    proposal: Proposal | None = None

    @property
    def empty(self) -> bool:
        """Neither a text nor a proposal: the agent's own handler answers."""
        return self.text is None and self.proposal is None


@dataclass(frozen=True, slots=True)
class PlanInput:
    """One turn as a planner sees it.

    Attributes:
        text: the message with any agent prefix removed.
        actions: the tools on offer: the agent's actions the person may request.
        history: earlier messages of the thread, oldest first, already within budget.
        notes: long-term notes visible to the asker that share words with the message.
        summary: a summary of the thread's messages older than ``history``.
        facts: facts pinned in the thread; they come first.
        on_text: where the model's answer streams as it writes it (None: not watched).
        viewing: the channel the person views beside the agent's DM, if any.
        reads: runs a read the model calls (one that needs no approval) within the turn and
            returns its result to the model; None: every call is proposed as it is.
    """

    inbound: Inbound
    agent: str
    text: str
    profile: AgentProfile
    actions: tuple[ActionSpec, ...]
    history: tuple[StoredMessage, ...] = ()
    notes: tuple[Note, ...] = ()
    summary: str = ""
    facts: tuple[str, ...] = ()
    on_text: TextSink | None = None
    viewing: str | None = None
    reads: ReadTools | None = None


NO_PLAN = Plan("none")
"""No planner was asked (a built-in reply such as a refusal, a question or a listing)."""
