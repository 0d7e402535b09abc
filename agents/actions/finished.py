"""Runs that finished in this process, handed to the turn that waits on one.

A turn that runs a read (:mod:`agents.actions.reads`) usually runs it itself; when a worker of
this process claimed the job first, the turn waits here for that run to end. Nothing here is
stored: an output stays in the process that ran it.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from dataclasses import dataclass

from agents.actions.approval import Approval
from agents.actions.presentation import RunOutput

__all__ = ["FinishedRun", "FinishedRuns"]

_KEPT = 64


@dataclass(frozen=True, slots=True)
class FinishedRun:
    """A run as it ended: its approval (state and summary) and its presented output."""

    approval: Approval
    output: RunOutput | None = None


class FinishedRuns:
    """Reads that finished in this process, for the turn waiting on one.

    The runs publish every read that runs at once; a turn waits on its own by approval id.
    The last few unclaimed ones are kept (a run may finish before its turn starts waiting).
    """

    def __init__(self, *, keep: int = _KEPT) -> None:
        self._keep = keep
        self._done: OrderedDict[str, FinishedRun] = OrderedDict()
        self._waiting: dict[str, asyncio.Future[FinishedRun]] = {}

    def finished(self, run: FinishedRun) -> None:
        """A run ended: hand it to its waiting turn, or keep it for a while."""
        waiter = self._waiting.pop(run.approval.id, None)
        if waiter is not None and not waiter.done():
            waiter.set_result(run)
            return
        self._done[run.approval.id] = run
        while len(self._done) > self._keep:
            self._done.popitem(last=False)

    async def wait(self, approval_id: str, *, timeout: float) -> FinishedRun | None:
        """The run of ``approval_id`` once it ended; None if it has not within ``timeout``."""
        done = self._done.pop(approval_id, None)
        if done is not None:
            return done
        waiter = self._waiting.setdefault(approval_id, asyncio.get_running_loop().create_future())
        try:
            finished, _ = await asyncio.wait((waiter,), timeout=timeout)
        finally:
            if self._waiting.get(approval_id) is waiter and not waiter.done():
                del self._waiting[approval_id]
        return waiter.result() if finished else None
