"""The worker: runs approved actions from the durable job queue and expires old requests.

It lives in the bot process. Jobs are claimed under a lease, so a job whose worker died is
claimed again once the lease expires (the domain then decides: re-run an idempotent action,
mark any other ``unknown`` and ask a human). ``wake()`` lets a fresh approval start at once
instead of at the next poll.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

import structlog

from agents.actions.runs import Runs

__all__ = ["Worker", "WorkerOptions"]

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class WorkerOptions:
    """How the worker polls and leases.

    Attributes:
        lease: how long a claimed job is ours; longer than any action may run.
        poll_interval: seconds between looks at an empty queue.
        expiry_interval: seconds between sweeps for expired approval requests.
        concurrency: how many jobs run at once.
        purge_interval: seconds between retention purges (memory past its retention days).
        reminder_interval: seconds between sweeps for incidents owed a status-update reminder.
    """

    lease: timedelta = timedelta(minutes=2)
    poll_interval: float = 0.5
    expiry_interval: float = 5.0
    concurrency: int = 2
    purge_interval: float = 3600.0
    reminder_interval: float = 30.0


@dataclass(frozen=True, slots=True)
class _Sweep:
    """A periodic step: run now, then every ``seconds``; ``done`` is the event logged with the
    count it returns (under ``key``) when it did something, ``failed`` the one if it raised."""

    name: str
    seconds: float
    step: Callable[[], Awaitable[int]]
    done: str
    key: str
    failed: str


class Worker:
    """Claims and runs jobs until stopped."""

    def __init__(
        self,
        runs: Runs,
        options: WorkerOptions | None = None,
        *,
        wakeup: asyncio.Event | None = None,
        purge: Callable[[], Awaitable[int]] | None = None,
        reminders: Callable[[], Awaitable[int]] | None = None,
    ) -> None:
        """``wakeup`` is set by whoever enqueues a job (the approval notifier), so the job
        starts at once instead of at the next poll; ``purge`` is the retention step,
        ``reminders`` the incidents' status-update reminder sweep."""
        self._runs = runs
        self._options = options or WorkerOptions()
        self._purge = purge
        self._reminders = reminders
        self.owner = f"worker-{uuid.uuid4().hex[:12]}"
        self._wake = wakeup or asyncio.Event()
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = False
        self.busy = 0
        """Job loops claiming or running a job now (the demo waits for none before its next
        line: a job's outcome comes after the turn)."""

    def start(self) -> None:
        """Start the job loops and the expiry sweep."""
        for index in range(self._options.concurrency):
            self._tasks.append(asyncio.create_task(self._jobs(), name=f"worker-jobs-{index}"))
        for sweep in self._sweeps():
            self._tasks.append(asyncio.create_task(self._every(sweep), name=f"worker-{sweep.name}"))
        log.info("worker_started", owner=self.owner, concurrency=self._options.concurrency)

    def _sweeps(self) -> list[_Sweep]:
        options = self._options
        sweeps = [
            _Sweep(
                "expiry",
                options.expiry_interval,
                self._runs.expire_due,
                "approvals_expired",
                "count",
                "expiry_sweep_failed",
            )
        ]
        if self._purge is not None:
            # What is past its retention is purged at start, then every purge_interval.
            sweeps.append(
                _Sweep(
                    "retention",
                    options.purge_interval,
                    self._purge,
                    "retention_purged",
                    "rows",
                    "retention_purge_failed",
                )
            )
        if self._reminders is not None:
            sweeps.append(
                _Sweep(
                    "reminders",
                    options.reminder_interval,
                    self._reminders,
                    "incident_reminders_sent",
                    "count",
                    "incident_reminder_sweep_failed",
                )
            )
        return sweeps

    def wake(self) -> None:
        """Look at the queue now (a job was just enqueued)."""
        self._wake.set()

    async def stop(self, *, timeout: float = 10.0) -> None:
        """Let running jobs finish (bounded), then stop; a cut job is reclaimed after its lease."""
        self._stopping = True
        self._stop.set()
        self._wake.set()
        if not self._tasks:
            return
        _done, pending = await asyncio.wait(self._tasks, timeout=timeout)
        for task in pending:
            task.cancel()
        for task in pending:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()

    async def _jobs(self) -> None:
        while not self._stopping:
            structlog.contextvars.clear_contextvars()
            self.busy += 1
            try:
                ran = await self._runs.run_next(owner=self.owner, lease=self._options.lease)
            except Exception:
                log.exception("worker_step_failed")
                ran = None
            finally:
                self.busy -= 1
            if ran is None and not self._stopping:
                await self._idle(self._options.poll_interval)

    async def _every(self, sweep: _Sweep) -> None:
        """Run the sweep's step now and then every ``sweep.seconds`` until stopped."""
        while not self._stopping:
            structlog.contextvars.clear_contextvars()
            try:
                count = await sweep.step()
                if count:
                    log.info(sweep.done, **{sweep.key: count})
            except Exception:
                log.exception(sweep.failed)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), timeout=sweep.seconds)

    async def _idle(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=seconds)
        self._wake.clear()
