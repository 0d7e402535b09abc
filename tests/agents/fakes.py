"""In-memory fakes of the domain's ports, for pure domain tests."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Literal

from agents.actions.approval import Approval
from agents.actions.execution import ExecutionRequest, ExecutionResult
from agents.actions.jobs import AuditEntry, AuditQuery, Job
from agents.actions.ports import ApprovalNews
from agents.actions.spec import ActionSpec, ParamValue
from agents.kernel.models import (
    ConversationKey,
    EventStatus,
    Inbound,
    Outbound,
    StoredMessage,
    Takeover,
    Trace,
)
from handlers.wording import approval_note


class FakeClock:
    """A clock that moves only when told to."""

    def __init__(self, start: datetime | None = None) -> None:
        self.current = start or datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
        self.ticks = 0.0

    def now(self) -> datetime:
        return self.current

    def monotonic(self) -> float:
        self.ticks += 0.001
        return self.ticks

    def advance(self, seconds: float) -> None:
        self.current += timedelta(seconds=seconds)


class MemoryEvents:
    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], tuple[Inbound, EventStatus, int]] = {}
        self.replies: dict[tuple[str, str], str] = {}
        self.leases: dict[tuple[str, str], tuple[str | None, datetime | None]] = {}

    async def note_reply(self, *, team_id: str, event_id: str, ts: str) -> None:
        self.replies[(team_id, event_id)] = ts

    async def reply_ts(self, *, team_id: str, event_id: str) -> str | None:
        return self.replies.get((team_id, event_id))

    async def claim(
        self, inbound: Inbound, *, owner: str | None = None, lease_until: datetime | None = None
    ) -> bool:
        key = (inbound.team_id, inbound.event_id)
        if key in self.rows:
            return False
        self.rows[key] = (inbound, "claimed", 0)
        self.leases[key] = (owner, lease_until)
        return True

    async def take_unfinished(self, takeover: Takeover) -> Sequence[Inbound]:
        taken = []
        unfinished = await self.unfinished(
            claimed_before=takeover.claimed_before, limit=takeover.limit
        )
        for inbound in unfinished:
            key = (inbound.team_id, inbound.event_id)
            _, until = self.leases.get(key, (None, None))
            if takeover.held_too or until is None or until < takeover.now:
                self.leases[key] = (takeover.owner, takeover.lease_until)
                taken.append(inbound)
        return taken

    async def renew(self, *, owner: str, trace_ids: Collection[str], lease_until: datetime) -> int:
        renewed = 0
        for key, (inbound, status, _) in self.rows.items():
            held = self.leases.get(key, (None, None))[0] == owner
            if status == "claimed" and inbound.trace_id in trace_ids and held:
                self.leases[key] = (owner, lease_until)
                renewed += 1
        return renewed

    async def finish(
        self, *, team_id: str, event_id: str, status: EventStatus, now: datetime
    ) -> None:
        inbound, _, attempts = self.rows[(team_id, event_id)]
        self.rows[(team_id, event_id)] = (inbound, status, attempts)

    async def unfinished(self, *, claimed_before: datetime, limit: int) -> Sequence[Inbound]:
        rows = [
            inbound
            for inbound, status, _ in self.rows.values()
            if status == "claimed" and inbound.received_at < claimed_before
        ]
        return sorted(rows, key=lambda i: i.received_at)[:limit]

    async def count_attempt(self, *, team_id: str, event_id: str) -> int:
        inbound, status, attempts = self.rows[(team_id, event_id)]
        self.rows[(team_id, event_id)] = (inbound, status, attempts + 1)
        return attempts + 1

    def status(self, team_id: str, event_id: str) -> EventStatus:
        return self.rows[(team_id, event_id)][1]


class MemoryConversations:
    def __init__(self) -> None:
        self.inbound: dict[str, Inbound] = {}
        self.replies: dict[str, Outbound] = {}

    async def record_inbound(self, inbound: Inbound) -> None:
        self.inbound.setdefault(inbound.trace_id, inbound)

    async def record_reply(self, outbound: Outbound, *, now: datetime) -> None:
        self.replies.setdefault(outbound.trace_id, outbound)

    async def find_reply(self, trace_id: str) -> Outbound | None:
        return self.replies.get(trace_id)

    async def mark_sent(self, *, trace_id: str, ts: str) -> None:
        self.replies[trace_id] = replace(self.replies[trace_id], status="sent", ts=ts)

    async def latest_reply(self, key: ConversationKey) -> Outbound | None:
        matching = [
            o
            for o in self.replies.values()
            if ConversationKey(o.team_id, o.channel_id, o.thread_ts or "") == key
        ]
        return matching[-1] if matching else None

    async def has_conversation(self, key: ConversationKey) -> bool:
        # Like the SQL store: the bot takes part once it has a reply stored there.
        return any(
            ConversationKey(o.team_id, o.channel_id, o.thread_ts or "") == key
            for o in self.replies.values()
        )

    async def messages(self, key: ConversationKey, *, limit: int) -> Sequence[StoredMessage]:
        return [
            StoredMessage("in", i.user_id, i.text, i.trace_id, i.ts, i.received_at)
            for i in self.inbound.values()
            if i.conversation == key
        ][-limit:]


class MemoryTraces:
    def __init__(self) -> None:
        self.rows: dict[str, Trace] = {}

    async def save(self, trace: Trace) -> None:
        self.rows[trace.trace_id] = trace

    async def mark_delivered(self, *, trace_id: str, at: datetime) -> None:
        self.rows[trace_id] = replace(self.rows[trace_id], delivered_at=at)

    async def get(self, trace_id: str) -> Trace | None:
        return self.rows.get(trace_id)


class MemoryLedger:
    """The TurnLedger over the other in-memory fakes."""

    def __init__(
        self, events: MemoryEvents, conversations: MemoryConversations, traces: MemoryTraces
    ) -> None:
        self._events = events
        self._conversations = conversations
        self._traces = traces

    async def record_turn(self, inbound: Inbound, outbound: Outbound, trace: Trace) -> None:
        await self._conversations.record_inbound(inbound)
        await self._conversations.record_reply(outbound, now=trace.started_at)
        await self._traces.save(trace)

    async def complete_turn(self, inbound: Inbound, *, ts: str, now: datetime) -> None:
        await self._conversations.mark_sent(trace_id=inbound.trace_id, ts=ts)
        await self._traces.mark_delivered(trace_id=inbound.trace_id, at=now)
        await self._events.finish(
            team_id=inbound.team_id, event_id=inbound.event_id, status="done", now=now
        )


# -- approvals, jobs and audit ---------------------------------------------------------------
#
# The fakes below stand in for ``storage/`` in pure tests of ``agents.actions.operations``. They
# keep the contracts the SQL stores promise (compare-and-set on ``version``, one job per
# approval, ``message_ts`` untouched by transitions, leases on jobs), and they yield to the
# event loop at every read and write so that ``asyncio.gather`` really interleaves callers.


async def _yield_to_others() -> None:
    await asyncio.sleep(0)


class MemoryAudit:
    """``AuditLog``: a list."""

    def __init__(self) -> None:
        self.rows: list[AuditEntry] = []

    async def append(self, entry: AuditEntry) -> None:
        self.rows.append(entry)

    async def entries(self, query: AuditQuery) -> Sequence[AuditEntry]:
        return [
            e
            for e in self.rows
            if (query.since is None or e.at >= query.since)
            and query.action in (None, e.action)
            and query.trace_id in (None, e.trace_id)
        ][: query.limit]

    def kinds(self, approval_id: str | None = None) -> list[str]:
        """The kinds recorded, oldest first (for one approval when given)."""
        return [e.kind for e in self.rows if approval_id is None or e.approval_id == approval_id]


@dataclass
class JobRow:
    """One job as the fake queue holds it."""

    job_id: str
    approval_id: str
    idempotency_key: str
    created_at: datetime
    state: Literal["queued", "running", "done"] = "queued"
    attempts: int = 0
    lease_owner: str | None = None
    lease_expires_at: datetime | None = None


class MemoryJobs:
    """``JobStore``: queued jobs claimed under a lease; an expired running lease is recovered."""

    def __init__(self) -> None:
        self.rows: dict[str, JobRow] = {}

    def enqueue(self, approval: Approval) -> None:
        """Called by :class:`MemoryApprovals` when an approval is newly approved."""
        if any(row.approval_id == approval.id for row in self.rows.values()):
            raise AssertionError(f"a second job for approval {approval.id}")  # unique in SQL
        job_id = f"job-{len(self.rows) + 1}"
        self.rows[job_id] = JobRow(
            job_id,
            approval.id,
            approval.idempotency_key,
            approval.updated_at or approval.created_at,
        )

    async def claim_next(
        self, *, owner: str, now: datetime, lease: timedelta, approval_id: str | None = None
    ) -> Job | None:
        await _yield_to_others()
        runnable = [row for row in self.rows.values() if approval_id in (None, row.approval_id)]
        runnable = [
            row
            for row in runnable
            if row.state == "queued"
            or (
                row.state == "running"
                and row.lease_expires_at is not None
                and row.lease_expires_at < now
            )
        ]
        if not runnable:
            return None
        row = min(runnable, key=lambda r: (r.created_at, r.job_id))
        recovered = row.state == "running"
        row.state, row.lease_owner, row.lease_expires_at = "running", owner, now + lease
        row.attempts += 1
        return Job(
            id=row.job_id,
            approval_id=row.approval_id,
            idempotency_key=row.idempotency_key,
            attempts=row.attempts,
            lease_owner=owner,
            lease_expires_at=now + lease,
            recovered=recovered,
        )

    async def renew(self, job_id: str, *, owner: str, now: datetime, lease: timedelta) -> bool:
        row = self.rows[job_id]
        if row.state != "running" or row.lease_owner != owner:
            return False
        row.lease_expires_at = now + lease
        return True

    async def complete(self, job_id: str, *, owner: str, now: datetime) -> None:
        row = self.rows[job_id]
        if row.state == "running" and row.lease_owner == owner:
            row.state = "done"

    def for_approval(self, approval_id: str) -> list[JobRow]:
        return [row for row in self.rows.values() if row.approval_id == approval_id]


class MemoryApprovals:
    """``ApprovalStore``: ``apply`` is compare-and-set on ``version``, like the SQL store.

    A successful ``apply`` appends its audit entries and, when a pending approval becomes
    approved, enqueues its job. ``before_next_apply`` runs once, just before the next
    compare-and-set, to stage a race deterministically.
    """

    def __init__(self, jobs: MemoryJobs, audit: MemoryAudit) -> None:
        self.rows: dict[str, Approval] = {}
        self.jobs = jobs
        self.audit = audit
        self.applied = 0
        self.lost_races = 0
        self.before_next_apply: Callable[[], Awaitable[None]] | None = None

    async def create(self, approval: Approval, *, audit: AuditEntry) -> None:
        await _yield_to_others()
        assert approval.id not in self.rows
        self.rows[approval.id] = approval
        self.audit.rows.append(audit)

    async def get(self, approval_id: str) -> Approval | None:
        await _yield_to_others()
        return self.rows.get(approval_id)

    async def by_token(self, token: str) -> Approval | None:
        await _yield_to_others()
        return next((a for a in self.rows.values() if a.token == token), None)

    async def apply(
        self, before: Approval, after: Approval, *, audit: Sequence[AuditEntry]
    ) -> bool:
        hook, self.before_next_apply = self.before_next_apply, None
        if hook is not None:
            await hook()
        await _yield_to_others()
        # From here to the return nothing awaits: the check and the write are one step.
        stored = self.rows[before.id]
        if stored.version != before.version:
            self.lost_races += 1
            return False
        self.rows[before.id] = replace(after, message_ts=stored.message_ts)
        self.applied += 1
        self.audit.rows.extend(audit)
        if before.state == "pending" and after.state == "approved":
            self.jobs.enqueue(after)
        return True

    async def set_message_ts(self, approval_id: str, ts: str) -> None:
        await _yield_to_others()
        self.rows[approval_id] = replace(self.rows[approval_id], message_ts=ts)

    async def by_card(self, channel_id: str, message_ts: str) -> Approval | None:
        await _yield_to_others()
        return next(
            (
                a
                for a in self.rows.values()
                if a.channel_id == channel_id and a.message_ts == message_ts
            ),
            None,
        )

    async def pending(
        self, *, team_id: str, limit: int, approved_too: bool = False
    ) -> Sequence[Approval]:
        await _yield_to_others()
        states = ("pending", "approved") if approved_too else ("pending",)
        rows = [a for a in self.rows.values() if a.team_id == team_id and a.state in states]
        return sorted(rows, key=lambda a: (a.created_at, a.id))[:limit]

    async def due_to_expire(self, *, now: datetime, limit: int) -> Sequence[Approval]:
        await _yield_to_others()
        rows = [a for a in self.rows.values() if a.state == "pending" and a.expires_at <= now]
        return sorted(rows, key=lambda a: (a.expires_at, a.id))[:limit]

    def only(self) -> Approval:
        """The one approval stored (fails if there is not exactly one)."""
        (approval,) = self.rows.values()
        return approval


class FakeTargets:
    """``TargetResolver``: each action POSTs to ``urls[name]`` (``{param}`` filled in), so a
    test can change an action's target between its approval and its run."""

    def __init__(self, urls: Mapping[str, str] | None = None) -> None:
        self.urls = dict(urls or {})

    def resolve(self, action: ActionSpec, params: Mapping[str, ParamValue]) -> Mapping[str, object]:
        url = self.urls.get(action.name, f"https://{action.executor.target}/{action.name}")
        for name, value in params.items():
            url = url.replace(f"{{{name}}}", str(value))
        return {"method": "POST", "url": url}


class FakeGroups:
    """``GroupDirectory`` from a fixed mapping of user id to group handles."""

    def __init__(self, membership: Mapping[str, Iterable[str]] | None = None) -> None:
        self.membership = {user: frozenset(groups) for user, groups in (membership or {}).items()}
        self.lookups = 0

    async def groups_of(self, user_id: str) -> frozenset[str]:
        self.lookups += 1
        return self.membership.get(user_id, frozenset())


class RecordingNotifier:
    """``ApprovalNotifier`` that remembers what it was told."""

    def __init__(self) -> None:
        self.changes: list[tuple[Approval, ApprovalNews | None]] = []
        self.escalations: list[tuple[Approval, str]] = []

    async def approval_changed(self, approval: Approval, *, news: ApprovalNews | None) -> None:
        self.changes.append((approval, news))

    async def escalate(self, approval: Approval, *, channel_id: str) -> None:
        self.escalations.append((approval, channel_id))

    @property
    def states(self) -> list[str]:
        return [approval.state for approval, _ in self.changes]

    @property
    def notes(self) -> list[str | None]:
        """What the thread would be told, worded as the Slack edge words it."""
        return [approval_note(approval, news) for approval, news in self.changes]


class ScriptedExecutor:
    """``Executor`` returning the given results in turn (an exception is raised instead).

    With ``hang_first`` the first run sets ``started`` and then waits forever, so a test can
    cancel the worker mid-execution, as if the process died.
    """

    def __init__(self, *results: ExecutionResult | BaseException, hang_first: bool = False) -> None:
        self.results = list(results) or [ExecutionResult("succeeded", "done")]
        self.requests: list[ExecutionRequest] = []
        self.hang_first = hang_first
        self.started = asyncio.Event()

    @property
    def runs(self) -> int:
        return len(self.requests)

    async def run(self, request: ExecutionRequest) -> ExecutionResult:
        self.requests.append(request)
        if self.hang_first and len(self.requests) == 1:
            self.started.set()
            await asyncio.Event().wait()
        result = self.results[min(len(self.requests), len(self.results)) - 1]
        if isinstance(result, BaseException):
            raise result
        return result
