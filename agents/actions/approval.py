"""The approval state machine: a pure ``transition(approval, event, *, now)``.

::

    pending ──(quorum of approvals)──> approved ──> executing ──> succeeded | failed | unknown
       └──> rejected | expired | cancelled

Storage applies a transition compare-and-set on ``version``, so a double click, a Slack retry
or a second process applying the same event cannot apply it twice. A refused event is a
return value (:class:`Refusal`), not an exception.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Literal

from agents.actions.canonical import CanonicalAction
from agents.actions.jobs import AuditKind
from agents.actions.spec import ParamValue

__all__ = [
    "TERMINAL_STATES",
    "Approval",
    "ApprovalEvent",
    "ApprovalState",
    "Approve",
    "AutoApprove",
    "Cancel",
    "EditParams",
    "Expire",
    "Finish",
    "Refusal",
    "Reject",
    "StartExecution",
    "Withdraw",
    "audit_kind",
    "transition",
]

ApprovalState = Literal[
    "pending",
    "approved",
    "executing",
    "succeeded",
    "failed",
    "unknown",
    "rejected",
    "expired",
    "cancelled",
]
TERMINAL_STATES: frozenset[ApprovalState] = frozenset(
    {"succeeded", "failed", "unknown", "rejected", "expired", "cancelled"}
)


@dataclass(frozen=True, slots=True)
class Approval:
    """A request to run an action, and everything decided about it so far.

    Attributes:
        token: the opaque random value the card's buttons carry (≥128 bits).
        approvals: user ids that approved, in order; reset when the params are edited.
        self_approval: whether the requester may be one of the approvers.
        version: incremented by every transition (the compare-and-set key).
        idempotency_key: passed to the executor so a retried run is recognised.
        canonical: what the approvers consent to (action, executor, resolved target,
            params), set when requested and on every edit; its digest is checked again right
            before the run. None only for requests stored before digests were kept.
        agent: the agent that proposed it; the worker checks again that the action is in its
            scope before the run. None for a request completed from a question, or stored
            before agents were kept.
    """

    id: str
    token: str
    action: str
    params: Mapping[str, ParamValue]
    requester: str
    team_id: str
    channel_id: str
    thread_ts: str | None
    trace_id: str
    idempotency_key: str
    quorum: int
    self_approval: bool
    created_at: datetime
    expires_at: datetime
    state: ApprovalState = "pending"
    approvals: tuple[str, ...] = ()
    decided_by: str | None = None
    reason: str | None = None
    result: str | None = None
    message_ts: str | None = None
    version: int = 0
    updated_at: datetime | None = None
    edits: int = field(default=0)
    canonical: CanonicalAction | None = None
    agent: str | None = None

    @property
    def digest(self) -> str | None:
        """The digest of :attr:`canonical` (None for requests from before digests)."""
        return self.canonical.digest if self.canonical is not None else None


@dataclass(frozen=True, slots=True)
class AutoApprove:
    """Policy needs no human: a request created with quorum 0 is approved at once."""


@dataclass(frozen=True, slots=True)
class Approve:
    """An approver votes to approve."""

    voter: str


@dataclass(frozen=True, slots=True)
class Reject:
    """An approver rejects, with a reason."""

    voter: str
    reason: str


@dataclass(frozen=True, slots=True)
class EditParams:
    """An approver changes the parameters (already validated); votes so far are reset.

    ``canonical`` is the action with the new parameters, resolved as configured now: its
    params are the new values, its digest replaces the request's.
    """

    editor: str
    canonical: CanonicalAction

    @property
    def params(self) -> Mapping[str, ParamValue]:
        """The new parameter values."""
        return self.canonical.params


@dataclass(frozen=True, slots=True)
class Cancel:
    """The requester withdraws the request."""

    by: str


@dataclass(frozen=True, slots=True)
class Withdraw:
    """The workspace removed the app (uninstalled it, or revoked its token): a request
    pending or approved but not yet running ends ``cancelled``, by the system."""

    reason: str


@dataclass(frozen=True, slots=True)
class Expire:
    """The request waited past its expiry."""


@dataclass(frozen=True, slots=True)
class StartExecution:
    """The worker starts running the approved action."""


@dataclass(frozen=True, slots=True)
class Finish:
    """The executor finished (``unknown``: it may or may not have run)."""

    outcome: Literal["succeeded", "failed", "unknown"]
    result: str


ApprovalEvent = (
    AutoApprove
    | Approve
    | Reject
    | EditParams
    | Cancel
    | Withdraw
    | Expire
    | StartExecution
    | Finish
)


@dataclass(frozen=True, slots=True)
class Refusal:
    """The event does not apply; ``reason`` is written for the person who caused it."""

    reason: str


_DONE_REASONS: dict[ApprovalState, str] = {
    "approved": "This request is already approved.",
    "executing": "This action is already running.",
    "succeeded": "This action already ran.",
    "failed": "This action already ran (and failed).",
    "unknown": "This action's outcome is unknown; it will not run again.",
    "rejected": "This request was rejected.",
    "expired": "This request expired.",
    "cancelled": "This request was cancelled.",
}


def transition(approval: Approval, event: ApprovalEvent, *, now: datetime) -> Approval | Refusal:
    """Apply ``event`` to ``approval`` at time ``now``.

    Identity (is this person an approver at all) is checked by policy before; this function
    enforces state, expiry, self-approval, one vote per person and the quorum.
    """
    result = _next(approval, event, now=now)
    if isinstance(result, Refusal):
        return result
    return replace(result, version=approval.version + 1, updated_at=now)


def _next(approval: Approval, event: ApprovalEvent, *, now: datetime) -> Approval | Refusal:
    state = approval.state
    if isinstance(event, StartExecution):
        if state != "approved":
            return Refusal(_DONE_REASONS.get(state, "This request is not approved yet."))
        return replace(approval, state="executing")
    if isinstance(event, Finish):
        if state != "executing":
            return Refusal("This action is not running.")
        return replace(approval, state=event.outcome, result=event.result)
    if isinstance(event, Withdraw):
        if state not in ("pending", "approved"):
            return Refusal(_DONE_REASONS[state])
        return replace(approval, state="cancelled", reason=event.reason)
    if state != "pending":
        return Refusal(_DONE_REASONS[state])
    if isinstance(event, Expire):
        if now < approval.expires_at:
            return Refusal("This request has not expired yet.")
        return replace(approval, state="expired")
    if now >= approval.expires_at:
        return Refusal(_DONE_REASONS["expired"])
    if isinstance(event, AutoApprove):
        if approval.quorum != 0:
            return Refusal("This request needs a human approval.")
        return replace(approval, state="approved", decided_by="policy")
    if isinstance(event, Cancel):
        if event.by != approval.requester:
            return Refusal("Only the requester can cancel this request.")
        return replace(approval, state="cancelled", decided_by=event.by)
    if isinstance(event, Reject):
        if event.voter == approval.requester and not approval.self_approval:
            return Refusal("You asked for this action; cancel it instead of rejecting it.")
        return replace(approval, state="rejected", decided_by=event.voter, reason=event.reason)
    if isinstance(event, EditParams):
        if event.canonical.action != approval.action:
            return Refusal("This edit is for another action.")
        return replace(
            approval,
            params=dict(event.params),
            canonical=event.canonical,
            approvals=(),
            edits=approval.edits + 1,
        )
    # Approve
    if event.voter == approval.requester and not approval.self_approval:
        return Refusal("You asked for this action, so someone else has to approve it.")
    if event.voter in approval.approvals:
        return Refusal("You already approved this request.")
    votes = (*approval.approvals, event.voter)
    if len(votes) >= approval.quorum:
        return replace(approval, approvals=votes, state="approved", decided_by=event.voter)
    return replace(approval, approvals=votes)


def audit_kind(after: Approval, event: ApprovalEvent) -> AuditKind:
    """What the audit trail calls the transition ``event`` made (``after`` is its result)."""
    if isinstance(event, EditParams):
        return "edited"
    if isinstance(event, Approve):
        return "approved" if after.state == "approved" else "approved_vote"
    if isinstance(event, AutoApprove):
        return "ran_without_approval"
    if isinstance(event, StartExecution):
        return "started"
    if after.state in {"rejected", "cancelled", "expired", "succeeded", "failed", "unknown"}:
        return after.state
    return "approved_vote"
