"""GroupCommit: claims that queue while one is written share the next transaction; a failed
batch is written item by item, so one bad item fails only its own submitter."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from storage.batching import GroupCommit


class Ledger:
    """A fake transactional store: a batch is applied whole or not at all. Each write waits
    for ``gate`` (a turn's transaction holding SQLite's write gate) before it runs."""

    def __init__(self, *, bad: frozenset[str] = frozenset(), crash_batches: int = 0) -> None:
        self.rows: set[str] = set()
        self.batches: list[list[str]] = []
        self.singles: list[str] = []
        self.gate = asyncio.Event()
        self.gate.set()
        self._bad = bad
        self._crash_batches = crash_batches

    def _insert(self, rows: set[str], item: str) -> bool:
        if item in self._bad:
            raise ValueError(f"bad item {item}")
        if item in rows:
            return False
        rows.add(item)
        return True

    async def write_all(self, items: Sequence[str]) -> list[bool]:
        self.batches.append(list(items))
        await self.gate.wait()
        staged = set(self.rows)
        results = []
        for index, item in enumerate(items):
            if self._crash_batches and len(items) > 1 and index == len(items) // 2:
                self._crash_batches -= 1
                raise ConnectionError("the connection broke mid-batch")
            results.append(self._insert(staged, item))
        self.rows = staged  # commit
        return results

    async def write_one(self, item: str) -> bool:
        self.singles.append(item)
        staged = set(self.rows)
        result = self._insert(staged, item)
        self.rows = staged
        return result


async def _while_held(ledger: Ledger, group: GroupCommit[str, bool], items: list[str]) -> list:
    """Submit ``items`` while the first one's write waits at the gate, then open it."""
    ledger.gate.clear()
    first = asyncio.ensure_future(group.submit(items[0]))
    await asyncio.sleep(0)  # the first is under way, waiting at the gate
    rest = [asyncio.ensure_future(group.submit(item)) for item in items[1:]]
    await asyncio.sleep(0)  # they queue behind it
    ledger.gate.set()
    return await asyncio.gather(first, *rest, return_exceptions=True)


async def test_a_claim_with_nothing_under_way_is_written_at_once_alone() -> None:
    ledger = Ledger()
    group = GroupCommit(ledger.write_all, ledger.write_one)
    assert await group.submit("a") is True
    assert await group.submit("b") is True
    assert ledger.batches == [["a"], ["b"]]


async def test_claims_that_queue_during_a_write_share_the_next_transaction() -> None:
    ledger = Ledger()
    group = GroupCommit(ledger.write_all, ledger.write_one)
    assert await _while_held(ledger, group, ["a", "b", "c", "d"]) == [True] * 4
    assert ledger.batches == [["a"], ["b", "c", "d"]] and ledger.singles == []
    assert (group.batches, group.items) == (2, 4)


async def test_a_duplicate_in_one_batch_is_claimed_once() -> None:
    ledger = Ledger()
    group = GroupCommit(ledger.write_all, ledger.write_one)
    assert await _while_held(ledger, group, ["a", "b", "c", "b"]) == [True, True, True, False]
    assert ledger.batches[1] == ["b", "c", "b"]
    assert await group.submit("c") is False  # and against what an earlier batch committed


async def test_one_failing_claim_fails_alone_and_the_others_in_its_batch_are_claimed() -> None:
    ledger = Ledger(bad=frozenset({"x"}))
    group = GroupCommit(ledger.write_all, ledger.write_one)
    results = await _while_held(ledger, group, ["a", "b", "x", "c"])
    assert results[:2] == [True, True] and results[3] is True
    assert isinstance(results[2], ValueError)
    assert ledger.rows == {"a", "b", "c"}
    assert ledger.singles == ["b", "x", "c"]  # the batch committed nothing, then one by one


async def test_a_crash_mid_batch_commits_nothing_of_it_and_each_is_written_again() -> None:
    ledger = Ledger(crash_batches=1)
    group = GroupCommit(ledger.write_all, ledger.write_one)
    assert await _while_held(ledger, group, ["a", "b", "c", "d", "e"]) == [True] * 5
    assert ledger.rows == {"a", "b", "c", "d", "e"}
    assert ledger.singles == ["b", "c", "d", "e"]


async def test_a_lone_claim_that_fails_raises_once_and_is_not_retried() -> None:
    ledger = Ledger(bad=frozenset({"x"}))
    group = GroupCommit(ledger.write_all, ledger.write_one)
    with pytest.raises(ValueError, match="bad item x"):
        await group.submit("x")
    assert ledger.singles == []


async def test_nobody_is_told_before_the_transaction_holding_it_committed() -> None:
    ledger = Ledger()
    group = GroupCommit(ledger.write_all, ledger.write_one)
    ledger.gate.clear()
    waiting = [asyncio.ensure_future(group.submit(item)) for item in ("a", "b", "c")]
    await asyncio.sleep(0.01)
    assert not any(task.done() for task in waiting) and ledger.rows == set()
    ledger.gate.set()
    assert await asyncio.gather(*waiting) == [True, True, True]


async def test_a_wrong_number_of_results_fails_every_submitter_of_the_batch() -> None:
    async def write_all(items: Sequence[str]) -> list[bool]:
        return []

    async def write_one(item: str) -> bool:
        return True

    group = GroupCommit(write_all, write_one)
    with pytest.raises(RuntimeError, match="0 results for 1 items"):
        await group.submit("a")


async def test_a_cancelled_write_leaves_no_claim_waiting_and_the_next_ones_go_through() -> None:
    ledger = Ledger()
    group = GroupCommit(ledger.write_all, ledger.write_one)
    ledger.gate.clear()
    first = asyncio.ensure_future(group.submit("a"))
    await asyncio.sleep(0)
    queued = asyncio.ensure_future(group.submit("b"))
    await asyncio.sleep(0)
    first.cancel()  # the submitter writing "a" goes away mid-write (a client that hung up)
    with pytest.raises(asyncio.CancelledError):
        await first
    ledger.gate.set()
    assert await asyncio.wait_for(queued, timeout=5) is True
    assert ledger.rows == {"b"}


async def test_lingering_writes_join_in_the_next_loop_step() -> None:
    """With ``linger``, the submissions of one loop step go in one batch, written by a task
    in the next step."""
    ledger = Ledger()
    group = GroupCommit(ledger.write_all, ledger.write_one, linger=True)
    assert await asyncio.gather(group.submit("a"), group.submit("b"), group.submit("a")) == [
        True,
        True,
        False,
    ]
    assert ledger.batches == [["a", "b", "a"]]


async def test_a_lingering_submitter_cancelled_mid_write_cancels_only_its_own_wait() -> None:
    """A submitter that goes away (a stopped turn) while its batch waits to be written does
    not take the others' writes with it: the batch commits, the others get their results."""
    ledger = Ledger()
    group = GroupCommit(ledger.write_all, ledger.write_one, linger=True)
    ledger.gate.clear()
    first = asyncio.ensure_future(group.submit("a"))
    other = asyncio.ensure_future(group.submit("b"))
    for _ in range(3):  # the writer task takes the batch and waits at the gate
        await asyncio.sleep(0)
    assert ledger.batches == [["a", "b"]]
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
    ledger.gate.set()
    assert await asyncio.wait_for(other, timeout=5) is True
    assert ledger.rows == {"a", "b"}
