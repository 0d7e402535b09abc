"""JobStore contract: claims under a lease, exactly-once claiming, recovery, renew, complete."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from agents.actions.approval import Approval, Approve
from agents.actions.jobs import Job
from storage import Database
from tests.storage.builders import approval, at, entry, step
from tests.storage.conftest import Place

LEASE = timedelta(seconds=30)


async def approved(database: Database, n: int) -> Approval:
    """Create ``approval(n)`` and approve it ``n`` seconds later than created (enqueues a job)."""
    pending = approval(n)
    await database.approvals.create(pending, audit=entry("requested", pending))
    after = step(pending, Approve("U2"), seconds=2 * n)
    assert await database.approvals.apply(pending, after, audit=[])
    return after


async def test_an_empty_queue_has_nothing_to_claim(database: Database) -> None:
    """Claiming with no jobs returns None."""
    assert await database.jobs.claim_next(owner="w1", now=at(0), lease=LEASE) is None


async def test_claims_take_the_oldest_job_first(database: Database) -> None:
    """Jobs are claimed in the order they were enqueued, each once, under the claimer's lease."""
    for n in (3, 1, 2):
        await approved(database, n)
    claimed = [await database.jobs.claim_next(owner="w1", now=at(10), lease=LEASE) for _ in "abc"]
    assert [job.approval_id if job else None for job in claimed] == [
        "approval-1",
        "approval-2",
        "approval-3",
    ]
    first = claimed[0]
    assert first == Job(
        id=first.id if first else "",
        approval_id="approval-1",
        idempotency_key="idem-1",
        attempts=1,
        lease_owner="w1",
        lease_expires_at=at(40),
        recovered=False,
    )
    assert await database.jobs.claim_next(owner="w2", now=at(10), lease=LEASE) is None


async def test_a_claim_for_one_approval_takes_only_its_job(database: Database) -> None:
    """A turn claims the job of the read it waits for, not the oldest; once another holds
    that job (or it is done) there is nothing for it to claim."""
    for n in (1, 2):
        await approved(database, n)
    mine = await database.jobs.claim_next(
        owner="turn", now=at(10), lease=LEASE, approval_id="approval-2"
    )
    assert mine is not None and mine.approval_id == "approval-2" and mine.lease_owner == "turn"
    again = await database.jobs.claim_next(
        owner="worker", now=at(11), lease=LEASE, approval_id="approval-2"
    )
    assert again is None
    oldest = await database.jobs.claim_next(owner="worker", now=at(11), lease=LEASE)
    assert oldest is not None and oldest.approval_id == "approval-1"
    await database.jobs.complete(mine.id, owner="turn", now=at(12))
    assert (
        await database.jobs.claim_next(
            owner="turn", now=at(13), lease=LEASE, approval_id="approval-2"
        )
        is None
    )


async def test_concurrent_claimers_take_each_job_exactly_once(place: Place) -> None:
    """Five claimers in two processes, looping until the queue is empty, claim each job once."""
    first = await place.open()
    await first.migrate()
    second = await place.open()
    for n in range(1, 11):
        await approved(first, n)

    async def claimer(handle: Database, owner: str) -> list[Job]:
        taken = []
        while job := await handle.jobs.claim_next(owner=owner, now=at(60), lease=LEASE):
            taken.append(job)
            await asyncio.sleep(0)  # let the other claimers in between claims
        return taken

    handles = [first, second, first, second, first]
    results = await asyncio.gather(*(claimer(h, f"w{i}") for i, h in enumerate(handles)))
    claimed = [job for taken in results for job in taken]
    assert sorted(job.approval_id for job in claimed) == sorted(
        f"approval-{n}" for n in range(1, 11)
    )
    assert len({job.id for job in claimed}) == 10
    assert all(job.attempts == 1 and not job.recovered for job in claimed)


async def test_an_expired_lease_is_reclaimed_as_recovered(database: Database) -> None:
    """A running job is not claimable until its lease expired; then it is, as recovered."""
    await approved(database, 1)
    job = await database.jobs.claim_next(owner="w1", now=at(10), lease=LEASE)
    assert job is not None
    assert await database.jobs.claim_next(owner="w2", now=at(39), lease=LEASE) is None
    assert await database.jobs.claim_next(owner="w2", now=at(40), lease=LEASE) is None
    again = await database.jobs.claim_next(owner="w2", now=at(41), lease=LEASE)
    assert again is not None
    assert (again.id, again.attempts, again.lease_owner, again.recovered) == (
        job.id,
        2,
        "w2",
        True,
    )
    assert again.lease_expires_at == at(71)


async def test_the_previous_holder_loses_a_reclaimed_job(database: Database) -> None:
    """After a takeover the old holder can neither renew nor complete the job."""
    await approved(database, 1)
    job = await database.jobs.claim_next(owner="w1", now=at(10), lease=LEASE)
    assert job is not None
    assert await database.jobs.claim_next(owner="w2", now=at(50), lease=LEASE) is not None
    assert await database.jobs.renew(job.id, owner="w1", now=at(51), lease=LEASE) is False
    await database.jobs.complete(job.id, owner="w1", now=at(52))  # not held: changes nothing
    third = await database.jobs.claim_next(owner="w3", now=at(81), lease=LEASE)
    assert third is not None
    assert (third.id, third.attempts, third.recovered) == (job.id, 3, True)


async def test_renew_extends_the_holders_lease(database: Database) -> None:
    """Renewing moves the lease's end, so the job is not reclaimed at its old expiry."""
    await approved(database, 1)
    job = await database.jobs.claim_next(owner="w1", now=at(10), lease=LEASE)
    assert job is not None
    assert await database.jobs.renew(job.id, owner="w1", now=at(30), lease=LEASE) is True
    assert await database.jobs.claim_next(owner="w2", now=at(59), lease=LEASE) is None
    assert await database.jobs.renew(job.id, owner="w2", now=at(31), lease=LEASE) is False
    assert await database.jobs.renew("nope", owner="w1", now=at(31), lease=LEASE) is False
    assert await database.jobs.claim_next(owner="w2", now=at(61), lease=LEASE) is not None


async def test_a_completed_job_is_never_claimed_again(database: Database) -> None:
    """A job completed by its holder stays done: no claim, no renewal, however late."""
    await approved(database, 1)
    job = await database.jobs.claim_next(owner="w1", now=at(10), lease=LEASE)
    assert job is not None
    await database.jobs.complete(job.id, owner="w1", now=at(20))
    assert await database.jobs.claim_next(owner="w2", now=at(10_000), lease=LEASE) is None
    assert await database.jobs.renew(job.id, owner="w1", now=at(21), lease=LEASE) is False
    await database.jobs.complete("nope", owner="w1", now=at(22))  # unknown: harmless


async def test_complete_by_a_non_holder_changes_nothing(database: Database) -> None:
    """Another worker completing a job it does not hold leaves it running under its holder."""
    await approved(database, 1)
    job = await database.jobs.claim_next(owner="w1", now=at(10), lease=LEASE)
    assert job is not None
    await database.jobs.complete(job.id, owner="w2", now=at(20))
    assert await database.jobs.renew(job.id, owner="w1", now=at(21), lease=LEASE) is True
