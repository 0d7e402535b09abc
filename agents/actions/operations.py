"""Operations: propose an action, vote on it, expire it, and run it exactly once.

The domain service behind the ``/ops`` actions and the approval buttons. It checks policy
(identity from Slack user ids and user groups), applies the pure state machine, persists each
transition compare-and-set, and runs approved actions from the durable job queue. Slack is
reached only through the ``ApprovalNotifier`` port.
"""

from __future__ import annotations

import re
import secrets
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Literal

import structlog

from agents.actions.approval import (
    Approval,
    ApprovalEvent,
    Approve,
    AutoApprove,
    Cancel,
    EditParams,
    Expire,
    Finish,
    Refusal,
    Reject,
    StartExecution,
    transition,
)
from agents.actions.execution import ExecutionRequest, ExecutionResult, Executor
from agents.actions.jobs import AuditEntry, AuditKind
from agents.actions.policy import (
    Auto,
    Denied,
    Person,
    decide,
    is_approver,
    may_approve,
    may_request,
)
from agents.actions.ports import (
    ApprovalNotifier,
    ApprovalStore,
    AuditLog,
    GroupDirectory,
    JobStore,
)
from agents.actions.read_cache import ReadCache
from agents.actions.spec import ActionSpec, FormatMatch, ParamValue, match_formats, validate_params
from agents.kernel.clock import Clock
from agents.kernel.models import Inbound, PendingAction, Reply

__all__ = ["OperationStores", "Operations", "VoteKind", "VoteOutcome"]

log = structlog.get_logger(__name__)

VoteKind = Literal["approve", "reject", "cancel"]
_CAS_ATTEMPTS = 5
_ASSIGNMENT = re.compile(r"([a-z_][a-z0-9_]*)\s*=\s*(\S+)", re.IGNORECASE)
_SYSTEM = "switchboard"


@dataclass(frozen=True, slots=True)
class OperationStores:
    """The storage ports operations need."""

    approvals: ApprovalStore
    jobs: JobStore
    audit: AuditLog


@dataclass(frozen=True, slots=True)
class VoteOutcome:
    """The result of a click: the approval after it, or why nothing changed."""

    approval: Approval | None
    refusal: str | None = None


class Operations:
    """Propose, approve and run the configured actions."""

    def __init__(
        self,
        actions: Sequence[ActionSpec],
        *,
        stores: OperationStores,
        groups: GroupDirectory,
        executors: Mapping[str, Executor],
        notifier: ApprovalNotifier,
        clock: Clock,
        read_cache: ReadCache | None = None,
    ) -> None:
        self._actions = {action.name: action for action in actions}
        self._read_cache = read_cache
        self._stores = stores
        self._groups = groups
        self._executors = executors
        self._notifier = notifier
        self._clock = clock

    @property
    def actions(self) -> tuple[ActionSpec, ...]:
        """Every configured action."""
        return tuple(self._actions.values())

    def action(self, name: str) -> ActionSpec | None:
        """The action called ``name``."""
        return self._actions.get(name)

    def match(self, text: str, *, agent: str | None = None) -> FormatMatch | None:
        """The action format ``text`` matches (only the agent's actions when one is given)."""
        pool = tuple(a for a in self._actions.values() if agent is None or a.agent == agent)
        return match_formats(text, pool)

    async def approval(self, approval_id: str) -> Approval | None:
        """The stored approval with this id."""
        return await self._stores.approvals.get(approval_id)

    async def card_posted(self, approval_id: str, ts: str) -> None:
        """Remember where the approval's card is, so later transitions update it."""
        await self._stores.approvals.set_message_ts(approval_id, ts)

    async def person(self, user_id: str, channel_id: str | None) -> Person:
        """The person with their user groups resolved from Slack (cached at the edge)."""
        return Person(user_id, await self._groups.groups_of(user_id), channel_id)

    async def runnable_by(self, person: Person) -> tuple[ActionSpec, ...]:
        """The actions ``person`` may request, for help listings."""
        return tuple(a for a in self._actions.values() if may_request(a, person))

    # -- proposing ---------------------------------------------------------------------

    async def propose(
        self, inbound: Inbound, *, action: ActionSpec, raw: Mapping[str, ParamValue]
    ) -> Reply:
        """Ask for ``action`` with the raw values given: a card, a question, or a refusal."""
        person = await self.person(inbound.user_id, inbound.channel_id)
        decision = decide(action, person)
        if isinstance(decision, Denied):
            await self._audit(
                "refused",
                person.user_id,
                action.name,
                trace=inbound.trace_id,
                details={"reason": decision.reason},
            )
            return Reply(text=decision.reason)
        values, missing, errors = validate_params(action, raw)
        if errors:
            return Reply(text=f"I can't run `{action.name}`: " + "; ".join(errors) + ".")
        if missing:
            return self._ask_for(action, raw, missing, requester=inbound.user_id)
        cached = self._cached(action, values)
        if cached is not None:
            return cached
        approval = self._new_approval(inbound, action, values, auto=isinstance(decision, Auto))
        await self._stores.approvals.create(
            approval,
            audit=self._entry(
                "requested",
                inbound.user_id,
                approval,
                details={k: str(v) for k, v in values.items()},
            ),
        )
        if approval.quorum == 0:
            approved = await self._apply(approval, AutoApprove(), actor=_SYSTEM)
            if isinstance(approved, Refusal):  # pragma: no cover - quorum 0 always applies
                return Reply(text=approved.reason)
            await self._notify(approved, note=None)
            return Reply(text=f"Running `{action.name}` now.", approval_id=approval.id)
        return Reply(text=f"`{action.name}` needs approval.", approval_id=approval.id)

    def _cached(self, action: ActionSpec, values: Mapping[str, ParamValue]) -> Reply | None:
        """A fresh enough result of the same read-only request, if one is cached."""
        if self._read_cache is None or action.risk != "read" or action.needs_approval:
            return None
        found = self._read_cache.get(action.name, values)
        if found is None:
            return None
        age = int((self._clock.now() - found.at).total_seconds())
        shown = " ".join(f"{k}={v}" for k, v in values.items())
        return Reply(text=f"`{action.name}` {shown}: {found.summary} (checked {age}s ago)")

    def _ask_for(
        self,
        action: ActionSpec,
        raw: Mapping[str, ParamValue],
        missing: Sequence[str],
        *,
        requester: str,
    ) -> Reply:
        spec = action.param(missing[0])
        hint = ""
        if spec is not None and spec.choices:
            hint = f" ({', '.join(spec.choices)})"
        elif spec is not None and spec.description:
            hint = f" ({spec.description})"
        others = f" I will also need: {', '.join(missing[1:])}." if len(missing) > 1 else ""
        return Reply(
            text=(
                f"To run `{action.name}` I need *{missing[0]}*{hint}. Reply in this thread.{others}"
            ),
            pending=PendingAction(
                action=action.name,
                values=tuple((k, str(v)) for k, v in raw.items()),
                missing=tuple(missing),
                requester=requester,
            ),
        )

    async def fill(self, inbound: Inbound, pending: PendingAction) -> Reply | None:
        """Complete a pending action with this reply (``name=value`` pairs or one bare value).

        Returns None when the action no longer exists (the config changed).
        """
        action = self._actions.get(pending.action)
        if action is None:
            return None
        raw: dict[str, ParamValue] = dict(pending.values)
        pairs = _ASSIGNMENT.findall(inbound.text)
        if pairs:
            raw.update({name: value for name, value in pairs})
        elif inbound.text.strip():
            raw[pending.missing[0]] = inbound.text.strip()
        return await self.propose(inbound, action=action, raw=raw)

    def _new_approval(
        self,
        inbound: Inbound,
        action: ActionSpec,
        values: Mapping[str, ParamValue],
        *,
        auto: bool,
    ) -> Approval:
        now = self._clock.now()
        policy = action.approval
        return Approval(
            id=uuid.uuid4().hex,
            token=secrets.token_urlsafe(32),  # 256 bits: the only thing a button carries
            action=action.name,
            params=dict(values),
            requester=inbound.user_id,
            team_id=inbound.team_id,
            channel_id=inbound.channel_id,
            thread_ts=inbound.thread_ts or (inbound.ts or None),
            trace_id=inbound.trace_id,
            idempotency_key=uuid.uuid4().hex,
            quorum=0 if auto else max(policy.quorum, 1),
            self_approval=policy.allow_self_approval and action.risk != "dangerous",
            created_at=now,
            expires_at=now + policy.expires_after,
        )

    # -- voting --------------------------------------------------------------------------

    async def vote(
        self,
        token: str,
        *,
        user_id: str,
        channel_id: str | None,
        kind: VoteKind,
        reason: str | None = None,
        seen_edits: int | None = None,
    ) -> VoteOutcome:
        """Apply a click (approve, reject, cancel) by ``user_id`` on the card with ``token``.

        ``seen_edits`` is the edit round the clicked card showed: a click on a card from
        before the parameters were edited is refused (the voter never saw the new ones).
        """
        approval = await self._stores.approvals.by_token(token)
        if approval is None:
            return VoteOutcome(None, "This button does not belong to any request I know.")
        action = self._actions.get(approval.action)
        if action is None:
            return VoteOutcome(approval, f"The action `{approval.action}` is no longer configured.")
        if seen_edits is not None and seen_edits != approval.edits and approval.state == "pending":
            return VoteOutcome(
                approval, "The parameters were changed since this card was shown; vote again."
            )
        if kind != "cancel":
            person = await self.person(user_id, channel_id)
            refusal = may_approve(action, person, requester=approval.requester)
            if refusal is not None:
                await self._audit(
                    "refused",
                    user_id,
                    action.name,
                    approval=approval,
                    details={"attempted": kind, "reason": refusal},
                )
                return VoteOutcome(approval, refusal)
        event: ApprovalEvent
        if kind == "approve":
            event = Approve(user_id)
        elif kind == "reject":
            event = Reject(user_id, (reason or "").strip() or "no reason given")
        else:
            event = Cancel(user_id)
        after = await self._apply(approval, event, actor=user_id)
        if isinstance(after, Refusal):
            return VoteOutcome(approval, after.reason)
        await self._notify(after, note=_vote_note(after, user_id))
        return VoteOutcome(after)

    async def may_decide(self, token: str, *, user_id: str, channel_id: str | None) -> VoteOutcome:
        """Whether ``user_id`` may vote on (or edit) the pending request behind ``token``.

        Used before opening a modal, so a person who may not decide gets an explanation
        instead of a form.
        """
        approval = await self._stores.approvals.by_token(token)
        if approval is None:
            return VoteOutcome(None, "This button does not belong to any request I know.")
        action = self._actions.get(approval.action)
        if action is None:
            return VoteOutcome(approval, f"The action `{approval.action}` is no longer configured.")
        if approval.state != "pending":
            return VoteOutcome(approval, f"This request is already {approval.state}.")
        person = await self.person(user_id, channel_id)
        if not is_approver(action, person):
            return VoteOutcome(approval, f"You are not an approver for `{action.name}`.")
        return VoteOutcome(approval)

    async def edit(
        self, token: str, *, user_id: str, channel_id: str | None, raw: Mapping[str, str]
    ) -> VoteOutcome:
        """An approver changes the parameters: re-validated, re-checked, votes reset."""
        approval = await self._stores.approvals.by_token(token)
        if approval is None:
            return VoteOutcome(None, "This button does not belong to any request I know.")
        action = self._actions.get(approval.action)
        if action is None:
            return VoteOutcome(approval, f"The action `{approval.action}` is no longer configured.")
        person = await self.person(user_id, channel_id)
        if not is_approver(action, person):
            return VoteOutcome(approval, f"You are not an approver for `{action.name}`.")
        values, missing, errors = validate_params(action, raw)
        if errors or missing:
            problems = errors + [f"{name} is required" for name in missing]
            return VoteOutcome(approval, "Not changed: " + "; ".join(problems) + ".")
        requester = await self.person(approval.requester, approval.channel_id)
        if isinstance(decide(action, requester), Denied):
            return VoteOutcome(approval, "Not changed: the requester may not run it that way.")
        after = await self._apply(
            approval,
            EditParams(user_id, values),
            actor=user_id,
            details={k: str(v) for k, v in values.items()},
        )
        if isinstance(after, Refusal):
            return VoteOutcome(approval, after.reason)
        await self._notify(
            after, note=f"<@{user_id}> changed the parameters; approvals so far were reset."
        )
        return VoteOutcome(after)

    async def pending_for(self, person: Person, *, team_id: str) -> list[Approval]:
        """Pending requests ``person`` may approve or has asked for."""
        waiting = []
        for approval in await self._stores.approvals.pending(team_id=team_id, limit=200):
            action = self._actions.get(approval.action)
            if action is None:
                continue
            if (
                approval.requester == person.user_id
                or may_approve(action, person, requester=approval.requester) is None
            ):
                waiting.append(approval)
        return waiting

    # -- the worker's steps ----------------------------------------------------------------

    async def expire_due(self) -> int:
        """Expire pending requests past their expiry; announce them. Returns how many."""
        expired = 0
        now = self._clock.now()
        for approval in await self._stores.approvals.due_to_expire(now=now, limit=100):
            after = await self._apply(approval, Expire(), actor=_SYSTEM)
            if isinstance(after, Refusal):
                continue
            expired += 1
            await self._notify(after, note="This request expired unapproved.")
            action = self._actions.get(after.action)
            channel = action.approval.escalation_channel if action else None
            if channel:
                await self._notifier.escalate(after, channel_id=channel)
                await self._audit(
                    "escalated", _SYSTEM, after.action, approval=after, details={"channel": channel}
                )
        return expired

    async def run_next(self, *, owner: str, lease: timedelta) -> Approval | None:
        """Claim one job and run it; returns the approval as it ended, or None if idle."""
        job = await self._stores.jobs.claim_next(owner=owner, now=self._clock.now(), lease=lease)
        if job is None:
            return None
        approval = await self._stores.approvals.get(job.approval_id)
        action = self._actions.get(approval.action) if approval else None
        if approval is None or action is None:
            log.error("job_orphaned", job_id=job.id)
            await self._stores.jobs.complete(job.id, owner=owner, now=self._clock.now())
            return approval
        structlog.contextvars.bind_contextvars(trace_id=approval.trace_id)
        final = await self._execute(approval, action, recovered=job.recovered)
        await self._stores.jobs.complete(job.id, owner=owner, now=self._clock.now())
        return final

    async def _execute(
        self, approval: Approval, action: ActionSpec, *, recovered: bool
    ) -> Approval:
        if approval.state == "approved":
            started = await self._apply(approval, StartExecution(), actor=_SYSTEM)
            if isinstance(started, Refusal):
                return approval
            approval = started
        elif approval.state == "executing" and recovered:
            if not action.executor.idempotent:
                return await self._finish(
                    approval,
                    ExecutionResult(
                        "unknown",
                        "The bot stopped while this action was running, and it is not safe to "
                        "run twice, so it was not run again. Please check the target and "
                        "request it again if it did not happen.",
                    ),
                )
            log.warning("job_rerun_after_crash", action=action.name)
        else:
            return approval  # already finished: nothing to run
        executor = self._executors.get(action.name)
        if executor is None:
            return await self._finish(
                approval, ExecutionResult("failed", "No executor configured.")
            )
        request = ExecutionRequest(
            action=action.name,
            params=approval.params,
            idempotency_key=approval.idempotency_key,
            trace_id=approval.trace_id,
            requester=approval.requester,
        )
        try:
            result = await executor.run(request)
        except Exception as exc:  # an executor bug must not leave the job running forever
            log.exception("executor_crashed", action=action.name)
            result = ExecutionResult("unknown", f"The executor failed: {type(exc).__name__}.")
        return await self._finish(approval, result)

    async def _finish(self, approval: Approval, result: ExecutionResult) -> Approval:
        after = await self._apply(approval, Finish(result.outcome, result.summary), actor=_SYSTEM)
        if isinstance(after, Refusal):
            return approval
        action = self._actions.get(after.action)
        if (
            self._read_cache is not None
            and result.outcome == "succeeded"
            and action is not None
            and action.risk == "read"
            and not action.needs_approval
        ):
            self._read_cache.put(after.action, after.params, result.summary)
        note = {
            "succeeded": f"<@{after.requester}> `{after.action}` succeeded: {result.summary}",
            "failed": f"<@{after.requester}> `{after.action}` failed: {result.summary}",
            "unknown": f"<@{after.requester}> `{after.action}` outcome unknown: {result.summary}",
        }[result.outcome]
        await self._notify(after, note=note)
        return after

    # -- persistence -----------------------------------------------------------------------

    async def _notify(self, approval: Approval, *, note: str | None) -> None:
        """Tell Slack, with the card's ts as stored now (the card may have been posted after
        this approval was read, and ``message_ts`` is not part of the versioned state)."""
        if approval.message_ts is None:
            stored = await self._stores.approvals.get(approval.id)
            if stored is not None and stored.message_ts is not None:
                approval = replace(approval, message_ts=stored.message_ts)
        await self._notifier.approval_changed(approval, note=note)

    async def _apply(
        self,
        approval: Approval,
        event: ApprovalEvent,
        *,
        actor: str,
        details: Mapping[str, str] | None = None,
    ) -> Approval | Refusal:
        """Transition and store compare-and-set; on a lost race re-read and try again."""
        current = approval
        for _ in range(_CAS_ATTEMPTS):
            after = transition(current, event, now=self._clock.now())
            if isinstance(after, Refusal):
                return after
            entries = [
                self._entry(
                    _audit_kind(current, after, event), actor, after, details=dict(details or {})
                )
            ]
            if await self._stores.approvals.apply(current, after, audit=entries):
                log.info(
                    "approval_transition",
                    approval_id=after.id,
                    action=after.action,
                    state=after.state,
                    actor=actor,
                    votes=len(after.approvals),
                )
                return after
            fresh = await self._stores.approvals.get(current.id)
            if fresh is None:
                return Refusal("This request no longer exists.")
            if isinstance(event, Approve) and fresh.edits != approval.edits:
                # The vote was cast on parameters an edit has since replaced: it must not
                # count for the new ones (an edit resets the votes).
                return Refusal("The parameters were just changed; review them and vote again.")
            current = fresh
        return Refusal("This request is changing right now; try again.")

    def _entry(
        self,
        kind: AuditKind,
        actor: str,
        approval: Approval,
        *,
        details: Mapping[str, str] | None = None,
    ) -> AuditEntry:
        extra = dict(details or {})
        if approval.reason and kind == "rejected":
            extra.setdefault("reason", approval.reason)
        if approval.result and kind in {"succeeded", "failed", "unknown"}:
            extra.setdefault("result", approval.result)
        return AuditEntry(
            at=self._clock.now(),
            actor=actor,
            kind=kind,
            action=approval.action,
            approval_id=approval.id,
            trace_id=approval.trace_id,
            details=extra,
        )

    async def _audit(
        self,
        kind: AuditKind,
        actor: str,
        action: str,
        *,
        approval: Approval | None = None,
        trace: str | None = None,
        details: Mapping[str, str] | None = None,
    ) -> None:
        await self._stores.audit.append(
            AuditEntry(
                at=self._clock.now(),
                actor=actor,
                kind=kind,
                action=action,
                approval_id=approval.id if approval else None,
                trace_id=approval.trace_id if approval else trace,
                details=dict(details or {}),
            )
        )


def _audit_kind(before: Approval, after: Approval, event: ApprovalEvent) -> AuditKind:
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


def _vote_note(after: Approval, user_id: str) -> str | None:
    if after.state == "approved":
        return f"<@{user_id}> approved. Running `{after.action}` now."
    if after.state == "rejected":
        return f"<@{user_id}> rejected `{after.action}`: {after.reason}"
    if after.state == "cancelled":
        return f"<@{user_id}> cancelled the request."
    return None
