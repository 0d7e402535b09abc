"""Applying approval transitions: compare-and-set with its audit entry, then telling Slack.

Every change of an approval goes through :class:`Transitions`: the pure
:func:`~agents.actions.approval.transition` decides, the store applies it compare-and-set on
``version`` together with the audit entry (and the job, when newly approved), and a lost race
is re-read and tried again. Proposals, decisions and runs share this one path.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import KW_ONLY, dataclass, replace

import structlog

from agents.actions.approval import (
    Approval,
    ApprovalEvent,
    Approve,
    Refusal,
    audit_kind,
    transition,
)
from agents.actions.jobs import AuditEntry, AuditKind
from agents.actions.ports import ApprovalNews, ApprovalNotifier, ApprovalStore, AuditLog, JobStore
from agents.actions.spec import ParamValue
from agents.kernel.clock import Clock

__all__ = ["DIGEST_KEY", "SYSTEM_ACTOR", "OperationStores", "Transitions", "digest_details"]

log = structlog.get_logger(__name__)

SYSTEM_ACTOR = "switchboard"
"""The actor of transitions nobody clicked (auto-approval, expiry, execution)."""
_CAS_ATTEMPTS = 5

DIGEST_KEY = "action-digest"
"""The audit detail holding a request's action digest (no parameter can be called that)."""


def digest_details(values: Mapping[str, ParamValue], *, digest: str | None) -> dict[str, str]:
    """Audit details of a request: its parameter values as text and its action digest."""
    details = {name: str(value) for name, value in values.items()}
    if digest is not None:
        details[DIGEST_KEY] = digest
    return details


@dataclass(frozen=True, slots=True)
class OperationStores:
    """The storage ports operations need."""

    approvals: ApprovalStore
    jobs: JobStore
    audit: AuditLog


@dataclass(frozen=True, slots=True)
class Transitions:
    """Transitions applied compare-and-set and audited, and Slack told of them."""

    stores: OperationStores
    _: KW_ONLY
    notifier: ApprovalNotifier
    clock: Clock

    async def apply(
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
            after = transition(current, event, now=self.clock.now())
            if isinstance(after, Refusal):
                return after
            kind = audit_kind(after, event)
            entries = [self.entry(kind, actor, after, details=details)]
            if await self.stores.approvals.apply(current, after, audit=entries):
                log.info(
                    "approval_transition",
                    approval_id=after.id,
                    action=after.action,
                    state=after.state,
                    actor=actor,
                    votes=len(after.approvals),
                )
                return after
            fresh = await self.stores.approvals.get(current.id)
            if fresh is None:
                return Refusal("This request no longer exists.")
            if isinstance(event, Approve) and fresh.edits != approval.edits:
                # The vote was cast on parameters an edit has since replaced: it must not
                # count for the new ones (an edit resets the votes).
                return Refusal("The parameters were just changed; review them and vote again.")
            current = fresh
        return Refusal("This request is changing right now; try again.")

    async def notify(self, approval: Approval, *, news: ApprovalNews | None = None) -> None:
        """Tell Slack, with the card's ts as stored now (the card may have been posted after
        this approval was read, and ``message_ts`` is not part of the versioned state)."""
        if approval.message_ts is None:
            stored = await self.stores.approvals.get(approval.id)
            if stored is not None and stored.message_ts is not None:
                approval = replace(approval, message_ts=stored.message_ts)
        await self.notifier.approval_changed(approval, news=news)

    async def escalate(self, approval: Approval, *, channel_id: str) -> None:
        """Announce an expired request in the escalation channel, and audit that."""
        await self.notifier.escalate(approval, channel_id=channel_id)
        await self.audit(
            "escalated",
            SYSTEM_ACTOR,
            approval.action,
            approval=approval,
            details={"channel": channel_id},
        )

    def entry(
        self,
        kind: AuditKind,
        actor: str,
        approval: Approval,
        *,
        details: Mapping[str, str] | None = None,
    ) -> AuditEntry:
        """The audit entry of ``kind`` for ``approval`` (with its reason or result)."""
        extra = dict(details or {})
        if approval.reason and kind == "rejected":
            extra.setdefault("reason", approval.reason)
        if approval.result and kind in {"succeeded", "failed", "unknown"}:
            extra.setdefault("result", approval.result)
        return AuditEntry(
            at=self.clock.now(),
            actor=actor,
            kind=kind,
            action=approval.action,
            approval_id=approval.id,
            trace_id=approval.trace_id,
            details=extra,
        )

    async def audit(
        self,
        kind: AuditKind,
        actor: str,
        action: str,
        *,
        approval: Approval | None = None,
        trace: str | None = None,
        details: Mapping[str, str] | None = None,
    ) -> None:
        """Append an audit entry that is no transition (a refusal, an escalation)."""
        await self.stores.audit.append(
            AuditEntry(
                at=self.clock.now(),
                actor=actor,
                kind=kind,
                action=action,
                approval_id=approval.id if approval else None,
                trace_id=approval.trace_id if approval else trace,
                details=dict(details or {}),
            )
        )
