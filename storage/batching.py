"""Group commit: writes that queue up while one is being written share the next transaction.

Every claim is a transaction of its own (BEGIN, one INSERT, COMMIT). While one is under way
(waiting for SQLite's write gate behind a turn's transaction, or for another process's lock
in a thread), the claims that arrive wait in :class:`GroupCommit`, and the next write takes
them all in one transaction. A claim that finds nothing under way is written at once, as
before: grouping never adds a wait. (The inline writes of :mod:`storage.engine.views` use it
with ``linger``, which waits one step of the event loop to gather what that step wrote.)
Each submitter gets its own result only once the transaction holding it committed, so what
it was told is durable. If a batch fails, nothing
of it was committed, and each item is written again alone: one bad item fails only its own
submitter, the others get their results.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

import structlog

__all__ = ["GroupCommit"]

log = structlog.get_logger(__name__)

_I = TypeVar("_I")
_O = TypeVar("_O")


class GroupCommit(Generic[_I, _O]):
    """Batches of items written by ``write_all`` (one transaction), or by ``write_one`` each
    when the batch fails.

    With ``linger``, a submitter that finds nothing under way does not write itself: a task
    writes in the next step of the event loop, so the writes made ready in this step join
    the batch (one loop step of latency for one commit instead of several), and a submitter
    cancelled meanwhile (a stopped turn) cancels only its own wait, never the others' write.

    ``write_all`` must return one result per item, in order, and write nothing unless it
    returns (a transaction rolled back on error).
    """

    def __init__(
        self,
        write_all: Callable[[Sequence[_I]], Awaitable[Sequence[_O]]],
        write_one: Callable[[_I], Awaitable[_O]],
        *,
        linger: bool = False,
    ) -> None:
        self._write_all = write_all
        self._write_one = write_one
        self._linger = linger
        self._pending: list[tuple[_I, asyncio.Future[_O]]] = []
        self._writing = False
        self._tasks: set[asyncio.Task[None]] = set()
        self.batches = 0  # transactions written (figures for benchmarks)
        self.items = 0

    async def submit(self, item: _I) -> _O:
        """Write ``item`` now, or with the others that queue while a write is under way; its
        result once committed."""
        future: asyncio.Future[_O] = asyncio.get_running_loop().create_future()
        self._pending.append((item, future))
        if not self._writing:  # else it goes with the next batch
            if self._linger:  # the next loop step writes, in a task (see the class)
                self._writing = True
                self._write_soon()
            else:  # nothing under way: this submitter writes, at once
                await self._write_pending()
        return await future

    def _write_soon(self) -> None:
        task = asyncio.get_running_loop().create_task(self._write_pending())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _write_pending(self) -> None:
        self._writing = True
        batch: list[tuple[_I, asyncio.Future[_O]]] = []
        try:
            batch, self._pending = self._pending, []
            batch = [(item, future) for item, future in batch if not future.done()]
            if not batch:  # every submitter was cancelled while it lingered
                return
            await self._settle(batch)
        finally:
            for _, future in batch:  # cancelled mid-write: no submitter waits for ever
                future.cancel()
            self._writing = False
            if self._pending:  # what queued meanwhile goes next, outside this submitter
                self._writing = True
                self._write_soon()

    async def _settle(self, batch: list[tuple[_I, asyncio.Future[_O]]]) -> None:
        self.batches += 1
        self.items += len(batch)
        try:
            results = await self._write_all([item for item, _ in batch])
        except Exception as exc:  # nothing of the batch was committed: each alone, then
            if len(batch) == 1:
                _set_exception(batch[0][1], exc)
                return
            log.info("group_commit_split", items=len(batch), error=type(exc).__name__)
            for item, future in batch:
                await self._settle_alone(item, future)
            return
        if len(results) != len(batch):  # a write_all bug: say so to every submitter
            error = RuntimeError(f"{len(results)} results for {len(batch)} items")
            for _, future in batch:
                _set_exception(future, error)
            return
        for (_, future), result in zip(batch, results, strict=True):
            if not future.done():
                future.set_result(result)

    async def _settle_alone(self, item: _I, future: asyncio.Future[_O]) -> None:
        try:
            result = await self._write_one(item)
        except Exception as exc:
            _set_exception(future, exc)
        else:
            if not future.done():
                future.set_result(result)


def _set_exception(future: asyncio.Future[_O], exc: BaseException) -> None:
    if not future.done():
        future.set_exception(exc)
