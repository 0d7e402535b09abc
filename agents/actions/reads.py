"""Reads inside a turn: a model's turn runs a read-only action and reads its result before it
answers ("check health, then decide").

A read that needs nobody's approval goes the way every request goes (policy, validation, the
read cache, a stored approval approved by policy, its job in the queue, the audit trail); the
turn then claims that job and runs it itself, so the result does not wait for a worker's next
poll (nor for a worker at all). If a worker of this process claimed it first, the turn waits
for that run on :class:`FinishedRuns`. Either way the turn waits at most ``wait`` seconds: a
run still going on then finishes in the background and posts its result in the thread, and
the turn is told it did not finish in time. A run a worker of another process took is read
back from the store when the wait is over (its summary only: outputs never leave the process
that ran them).

What a turn learns is a :class:`ReadResult`; the output in it is the presented one (redacted
and capped). It is handed only to the turn that asked; it is never stored.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Mapping
from dataclasses import KW_ONLY, dataclass, field
from datetime import timedelta
from typing import Literal, TypeVar

import structlog

from agents.actions.approval import TERMINAL_STATES, Approval
from agents.actions.finished import FinishedRuns
from agents.actions.presentation import RunOutput
from agents.actions.proposals import Proposals
from agents.actions.read_cache import CachedResult
from agents.actions.runs import Runs
from agents.actions.spec import ActionSpec, ParamValue
from agents.kernel.clock import Clock
from agents.kernel.models import Inbound, Reply

__all__ = ["ReadRequest", "ReadResult", "ReadStatus", "TurnReads"]

log = structlog.get_logger(__name__)

T = TypeVar("T")
ReadStatus = Literal["succeeded", "failed", "unknown", "refused", "not_finished"]


@dataclass(frozen=True, slots=True)
class ReadRequest:
    """A read a turn asks for: ``action`` with ``values``, as ``inbound``'s person, for
    ``agent`` (checked against its scope)."""

    inbound: Inbound
    action: ActionSpec
    values: Mapping[str, ParamValue]
    agent: str | None = None


@dataclass(frozen=True, slots=True)
class ReadResult:
    """What a read asked for inside a turn came to.

    Attributes:
        status: how the run ended; ``refused`` (policy, or a value it needs: ``summary``
            says why) or ``not_finished`` (still running when the wait was over).
        summary: secret-free: the executor's summary, or why it did not run.
        output: the presented output (redacted, capped), when there is one here.
        age: seconds since the cached result was produced, when the cache answered.
    """

    action: str
    status: ReadStatus
    summary: str
    output: RunOutput | None = None
    age: int | None = None


@dataclass(slots=True)
class TurnReads:
    """Runs reads for turns that wait for their results (see the module docstring).

    Attributes:
        lease: how long the turn holds the job it claims (as the worker's: longer than any
            read may run; a crashed turn's job is taken over by a worker after it).
    """

    proposals: Proposals
    runs: Runs
    board: FinishedRuns
    _: KW_ONLY
    clock: Clock
    lease: timedelta = timedelta(minutes=2)
    _starting: set[asyncio.Task[Reply | CachedResult | Approval]] = field(default_factory=set)
    _running: set[asyncio.Task[Approval | None]] = field(default_factory=set)

    async def run(self, request: ReadRequest, *, wait: float) -> ReadResult:
        """Ask for the read and wait up to ``wait`` seconds for its result."""
        # Shielded: a turn stopped while its read is being requested leaves no request half
        # made (stored but not approved, or approved but not run); the read goes on.
        action = request.action
        started = await asyncio.shield(_track(self._start(request), self._starting))
        if isinstance(started, Reply):
            return ReadResult(action.name, "refused", started.text)
        if isinstance(started, CachedResult):
            age = int((self.clock.now() - started.at).total_seconds())
            return ReadResult(action.name, "succeeded", started.summary, started.output, age)
        finished = await self.board.wait(started.id, timeout=wait)
        if finished is not None:
            return _result(action.name, finished.approval, finished.output)
        stored = await self.proposals.transitions.stores.approvals.get(started.id)
        if stored is not None and stored.state in TERMINAL_STATES:
            return _result(action.name, stored, None)  # a worker elsewhere ran it
        return ReadResult(
            action.name,
            "not_finished",
            f"it did not finish within {wait:g}s; its result will be posted in the thread",
        )

    async def _start(self, request: ReadRequest) -> Reply | CachedResult | Approval:
        """Request the read; once approved, start running it."""
        started = await self.proposals.start_read(
            request.inbound, action=request.action, raw=request.values, agent=request.agent
        )
        if isinstance(started, Approval):
            owner = f"turn-{request.inbound.trace_id[:24]}"
            self._run_in_background(started, owner=owner)
        return started

    async def drain(self, *, timeout: float) -> int:
        """Let reads still starting or running for turns finish (bounded, at shutdown);
        returns how many were cut (a cut run's job is taken over by a worker once its lease
        runs out)."""
        try:
            async with asyncio.timeout(timeout):
                while self._starting or self._running:
                    await asyncio.wait({*self._starting, *self._running})
        except TimeoutError:
            pending = {*self._starting, *self._running}
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
            return len(pending)
        return 0

    def _run_in_background(self, approval: Approval, *, owner: str) -> None:
        """Claim and run the approval's job in a task of its own, so that a turn that stops
        waiting (or is stopped) never cuts a run in the middle."""
        work = self.runs.run_next(owner=owner, lease=self.lease, approval_id=approval.id)
        _track(work, self._running)


def _track(work: Awaitable[T], tasks: set[asyncio.Task[T]]) -> asyncio.Task[T]:
    """``work`` as a task kept in ``tasks`` until it ends (a failure is logged)."""
    task = asyncio.ensure_future(work)
    tasks.add(task)
    task.add_done_callback(tasks.discard)
    task.add_done_callback(_log_failure)
    return task


def _log_failure(task: asyncio.Task[T]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("turn_read_failed", error=type(task.exception()).__name__)


def _result(action: str, approval: Approval, output: RunOutput | None) -> ReadResult:
    status: ReadStatus = (
        approval.state if approval.state in ("succeeded", "failed", "unknown") else "refused"
    )
    return ReadResult(action, status, approval.result or approval.state, output)
