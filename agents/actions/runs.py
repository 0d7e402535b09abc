"""Running approved actions exactly once, and expiring requests nobody decided: the worker's
steps.

A job is claimed under a lease; its approval moves ``approved -> executing`` before the
executor is called, with the approval's idempotency key. A job found ``executing`` after a
crash is run again only when its action is idempotent; otherwise it ends ``unknown`` and the
requester is asked to check. A rerun that fails ends ``unknown`` too: the run the crash cut off
may have acted before the target began refusing.

Right before the executor is called the action's canonical form is recomputed from the
current configuration and the stored parameters (after ``refresh``, which lets the edge bring
the configuration up to date: an MCP server's tools are listed again); if its digest is not the
one the approvers consented to (the config changed the URL, the argv, the callable, an MCP
tool's input schema...), nothing runs: the request ends ``failed`` (``unknown`` for a rerun
after a crash), the thread is told what changed and an alert is raised. A request stored
before digests were kept (no canonical action) runs unchecked, with a warning in the log. So
is the scope of the agent that proposed it (:mod:`agents.actions.scopes`): an action the agent
may no longer use is not run either.

A run that succeeded is presented as its action's ``result`` format says
(:mod:`agents.actions.presentation`): a read's output is told to its thread, kept in the read
cache for its channel and handed to a turn that waits on it (:mod:`agents.actions.finished`);
another action's only when its ``result`` format was written.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import KW_ONLY, dataclass
from datetime import timedelta

import structlog

from agents.actions.approval import (
    Approval,
    Expire,
    Finish,
    Refusal,
    StartExecution,
    Withdraw,
)
from agents.actions.canonical import TargetResolver, canonical_action, short_digest
from agents.actions.catalog import ActionCatalog
from agents.actions.execution import ExecutionRequest, ExecutionResult, Executor
from agents.actions.finished import FinishedRun, FinishedRuns
from agents.actions.ports import ApprovalNews
from agents.actions.presentation import RunOutput, present
from agents.actions.read_cache import ReadCache, Where
from agents.actions.scopes import AgentScopes
from agents.actions.spec import ActionSpec
from agents.actions.transitions import SYSTEM_ACTOR, Transitions
from agents.kernel.clock import Clock
from agents.kernel.tenancy import acting_for

__all__ = ["Runs"]

log = structlog.get_logger(__name__)

_NOT_RERUN = (
    "The bot stopped while this action was running, and it is not safe to run twice, so it "
    "was not run again. Please check the target and request it again if it did not happen."
)

_RERUN_FAILED = (
    "The bot stopped while this action was running, so it may have happened; run again "
    "(it is idempotent), it failed. Please check the target before requesting it again:"
)


@dataclass(frozen=True, slots=True)
class Runs:
    """The worker's side: expiry, and each approved job run once."""

    catalog: ActionCatalog
    transitions: Transitions
    _: KW_ONLY
    executors: Mapping[str, Executor]
    clock: Clock
    targets: TargetResolver
    read_cache: ReadCache | None = None
    board: FinishedRuns | None = None
    refresh: Callable[[ActionSpec], Awaitable[None]] | None = None
    """Brings ``targets`` up to date for an action about to run."""
    scopes: AgentScopes | None = None
    """Which agent may use which action: a request whose agent lost it is not run."""

    async def expire_due(self) -> int:
        """Expire pending requests past their expiry; announce them. Returns how many."""
        expired = 0
        now = self.clock.now()
        stores = self.transitions.stores
        for approval in await stores.approvals.due_to_expire(now=now, limit=100):
            after = await self.transitions.apply(approval, Expire(), actor=SYSTEM_ACTOR)
            if isinstance(after, Refusal):
                continue
            expired += 1
            await self.transitions.notify(after, news=ApprovalNews("expired"))
            action = self.catalog.action(after.action)
            channel = action.approval.escalation_channel if action else None
            if channel:
                await self.transitions.escalate(after, channel_id=channel)
        return expired

    async def withdraw_workspace(self, team_id: str, *, reason: str) -> int:
        """End every request of ``team_id`` not yet running (``pending`` or ``approved``,
        its job then refused by the worker) as ``cancelled``, audited with ``reason``; the
        workspace removed the app, so nothing is told to Slack. Returns how many."""
        withdrawn = 0
        approvals = self.transitions.stores.approvals
        while True:
            batch = await approvals.pending(team_id=team_id, limit=100, approved_too=True)
            ended = 0
            for approval in batch:
                after = await self.transitions.apply(
                    approval, Withdraw(reason), actor=SYSTEM_ACTOR, details={"reason": reason}
                )
                ended += not isinstance(after, Refusal)
            withdrawn += ended
            if not ended:  # nothing left, or only requests that started running meanwhile
                return withdrawn

    async def run_next(
        self, *, owner: str, lease: timedelta, approval_id: str | None = None
    ) -> Approval | None:
        """Claim one job (the job of ``approval_id``, when given) and run it; returns the
        approval as it ended, or None if there was no job to claim."""
        stores = self.transitions.stores
        job = await stores.jobs.claim_next(
            owner=owner, now=self.clock.now(), lease=lease, approval_id=approval_id
        )
        if job is None:
            return None
        approval = await stores.approvals.get(job.approval_id)
        action = self.catalog.action(approval.action) if approval else None
        if approval is None or action is None:
            log.error("job_orphaned", job_id=job.id)
            await stores.jobs.complete(job.id, owner=owner, now=self.clock.now())
            return approval
        structlog.contextvars.bind_contextvars(trace_id=approval.trace_id)
        with acting_for(approval.team_id):  # the result is told in the requester's workspace
            final = await self._execute(approval, action, recovered=job.recovered)
        await stores.jobs.complete(job.id, owner=owner, now=self.clock.now())
        return final

    async def _execute(
        self, approval: Approval, action: ActionSpec, *, recovered: bool
    ) -> Approval:
        rerun = False
        if approval.state == "approved":
            started = await self.transitions.apply(approval, StartExecution(), actor=SYSTEM_ACTOR)
            if isinstance(started, Refusal):
                return approval
            approval = started
        elif approval.state == "executing" and recovered:
            if not action.executor.idempotent:
                return await self._finish(approval, ExecutionResult("unknown", _NOT_RERUN))
            log.warning("job_rerun_after_crash", action=action.name)
            rerun = True
        else:
            return approval  # already finished: nothing to run
        executor = self.executors.get(action.name)
        if executor is None:
            return await self._finish(
                approval, ExecutionResult("failed", "No executor configured.")
            )
        if self._out_of_scope(approval, action):
            log.error("approval_out_of_scope", action=action.name, agent=approval.agent)
            summary = (
                f"`{action.name}` is no longer in the scope of agent `{approval.agent}`; "
                "it was not run."
            )
            # a rerun: the run the crash cut off may have acted
            result = ExecutionResult("unknown" if rerun else "failed", summary)
            return await self._finish(approval, result)
        if self.refresh is not None:
            await self.refresh(action)
        changed = await self._changed(approval, action, rerun=rerun)
        if changed is not None:
            return changed
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
        if rerun and result.outcome == "failed":
            result = ExecutionResult("unknown", f"{_RERUN_FAILED} {result.summary}")
        return await self._finish(approval, result)

    def _out_of_scope(self, approval: Approval, action: ActionSpec) -> bool:
        """Whether the agent that proposed the request may no longer use its action (the
        config changed since); a request without an agent is checked by policy alone."""
        agent = approval.agent
        return (
            agent is not None and self.scopes is not None and not self.scopes.allows(agent, action)
        )

    async def _changed(
        self, approval: Approval, action: ActionSpec, *, rerun: bool
    ) -> Approval | None:
        """If the action as configured now is not what was approved: the request ended
        without running (and everyone told); else None (run it). It ends ``failed``, or
        ``unknown`` for a rerun (the run a crash cut off may have acted)."""
        approved = approval.digest
        if approved is None:
            log.warning("approval_digest_absent", approval_id=approval.id, action=action.name)
            return None
        current = canonical_action(action, approval.params, targets=self.targets)
        now = current.digest
        if now == approved:
            return None
        what = _what_changed(approval, current.target)
        log.error(
            "approval_digest_mismatch",
            approval_id=approval.id,
            action=action.name,
            approved_digest=approved,
            current_digest=now,
        )
        summary = (
            f"The action changed after it was approved ({what}digest {short_digest(approved)}, "
            f"now {short_digest(now)}); it was not run. Request it again."
        )
        if rerun:
            summary = (
                f"The action changed after it was approved ({what}digest "
                f"{short_digest(approved)}, now {short_digest(now)}), so it was not run again "
                "after the bot stopped mid-run; the interrupted run may have happened. Please "
                "check the target."
            )
        return await self._finish(
            approval,
            ExecutionResult("unknown" if rerun else "failed", summary),
            news=ApprovalNews("action_changed"),
            details={
                "approved-digest": approved,
                "current-digest": now,
                "changed": what.removesuffix("; "),
            },
        )

    async def _finish(
        self,
        approval: Approval,
        result: ExecutionResult,
        *,
        news: ApprovalNews | None = None,
        details: Mapping[str, str] | None = None,
    ) -> Approval:
        after = await self.transitions.apply(
            approval, Finish(result.outcome, result.summary), actor=SYSTEM_ACTOR, details=details
        )
        if isinstance(after, Refusal):
            return approval
        action = self.catalog.action(after.action)
        output = _output(action, result)
        reads_at_once = action is not None and action.runs_at_once
        if reads_at_once and self.read_cache is not None and result.outcome == "succeeded":
            where = Where(after.team_id, after.channel_id)
            self.read_cache.put(where, after.action, after.params, result.summary, output=output)
        shown = action is not None and (action.risk == "read" or action.result.given)
        if news is None:
            news = ApprovalNews("finished", output=output if shown else None)
        await self.transitions.notify(after, news=news)
        if reads_at_once and self.board is not None:
            # after the thread was told: the waiting turn answers below the result
            self.board.finished(FinishedRun(after, output))
        return after


def _output(action: ActionSpec | None, result: ExecutionResult) -> RunOutput | None:
    """The presented output of a run that succeeded (None: nothing to show)."""
    if action is None or result.outcome != "succeeded":
        return None
    return present(result.body, action.result, truncated=result.body_truncated)


def _what_changed(approval: Approval, target: Mapping[str, object]) -> str:
    """``"its schema changed; "``: the target's parts that differ from what was approved
    (empty when the approval kept no canonical form, or only the parameters differ)."""
    approved = approval.canonical.target if approval.canonical is not None else None
    if approved is None:
        return ""
    names = sorted(k for k in set(approved) | set(target) if approved.get(k) != target.get(k))
    if names == ["schema"]:
        return "the tool's input schema changed; "
    return f"its {', '.join(names)} changed; " if names else ""
