"""ApprovalStore contract: create, look up, compare-and-set transitions, votes and jobs."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from agents.actions.approval import Approval, Approve, Finish, Reject, StartExecution
from agents.actions.jobs import AuditQuery
from agents.kernel.errors import StorageError
from storage import Database
from storage.tables import approval_votes, approvals, jobs
from tests.storage.builders import approval, at, edit, entry, step
from tests.storage.conftest import Place


async def created(database: Database, n: int = 1, **changes: object) -> Approval:
    """Store ``approval(n, **changes)`` with its ``requested`` entry and return it."""
    value = approval(n, **changes)
    await database.approvals.create(value, audit=entry("requested", value))
    return value


async def votes(database: Database, approval_id: str) -> list[tuple[str, str, int]]:
    """The stored votes on an approval as ``(voter, vote, round)``, in the order cast."""
    statement = (
        select(approval_votes.c.voter, approval_votes.c.vote, approval_votes.c.round)
        .where(approval_votes.c.approval_id == approval_id)
        .order_by(approval_votes.c.id)
    )
    async with database.engine.connect() as connection:
        return [(v, kind, n) for v, kind, n in await connection.execute(statement)]


async def job_count(database: Database) -> int:
    """How many jobs are stored."""
    async with database.engine.connect() as connection:
        return int((await connection.execute(select(func.count()).select_from(jobs))).scalar_one())


async def audit_kinds(database: Database) -> list[str]:
    """The kinds of every audit entry, oldest first."""
    return [e.kind for e in await database.audit.entries(AuditQuery(limit=100))]


async def test_created_approval_round_trips(database: Database) -> None:
    """A created approval reads back equal by id and by token, params keeping their types."""
    stored = await created(database, thread_ts=None)
    assert await database.approvals.get("approval-1") == stored
    assert await database.approvals.by_token("token-1") == stored
    found = await database.approvals.get("approval-1")
    assert found is not None
    assert found.params == {"service": "api", "env": "prod", "replicas": 3, "dry_run": False}
    assert [type(v) for v in found.params.values()] == [str, str, int, bool]
    assert await audit_kinds(database) == ["requested"]


async def test_the_proposing_agent_round_trips_and_survives_transitions(
    database: Database,
) -> None:
    """The agent a request was proposed for is stored with it (the worker checks its scope
    again before the run) and kept by every transition."""
    stored = await created(database, agent="dba")
    assert await database.approvals.get("approval-1") == stored
    after = replace(stored, state="approved", version=1)
    assert await database.approvals.apply(stored, after, audit=[entry("approved", stored)])
    found = await database.approvals.get("approval-1")
    assert found is not None and found.state == "approved" and found.agent == "dba"


async def test_unknown_ids_and_tokens_are_none(database: Database) -> None:
    """Looking up an approval that was never created returns None."""
    await created(database)
    assert await database.approvals.get("nope") is None
    assert await database.approvals.by_token("nope") is None


async def test_create_is_atomic_with_its_audit_entry(database: Database) -> None:
    """When the audit entry cannot be written, the approval is not created either."""
    value = approval(1)
    broken = entry("requested", value, at=datetime(2026, 11, 23, 12, 0))  # naive: refused
    with pytest.raises(StorageError):
        await database.approvals.create(value, audit=broken)
    assert await database.approvals.get(value.id) is None
    assert await audit_kinds(database) == []


async def test_create_refuses_a_reused_token_or_idempotency_key(database: Database) -> None:
    """A second approval with the token or idempotency key of another raises StorageError."""
    await created(database, 1)
    with pytest.raises(StorageError):
        await created(database, 2, token="token-1")
    with pytest.raises(StorageError):
        await created(database, 3, idempotency_key="idem-1")
    assert await database.approvals.get("approval-2") is None


async def test_apply_stores_the_transition_its_vote_and_audit(database: Database) -> None:
    """An applied vote is stored with the new version, one vote row and its audit entry."""
    before = await created(database, quorum=2)
    after = step(before, Approve("U2"), seconds=10)
    assert await database.approvals.apply(before, after, audit=[entry("approved_vote", after)])
    assert await database.approvals.get(before.id) == after
    assert after.version == 1 and after.updated_at == at(10)
    assert await votes(database, before.id) == [("U2", "approve", 0)]
    assert await audit_kinds(database) == ["requested", "approved_vote"]
    assert await job_count(database) == 0


async def test_apply_refuses_a_stale_version(database: Database) -> None:
    """A transition computed from an old version is refused and writes nothing."""
    before = await created(database, quorum=2)
    first = step(before, Approve("U2"), seconds=10)
    late = step(before, Approve("U3"), seconds=11)
    assert await database.approvals.apply(before, first, audit=[entry("approved_vote", first)])
    assert not await database.approvals.apply(before, late, audit=[entry("approved_vote", late)])
    assert await database.approvals.get(before.id) == first
    assert await votes(database, before.id) == [("U2", "approve", 0)]
    assert await audit_kinds(database) == ["requested", "approved_vote"]


async def test_concurrent_applies_from_one_version_have_one_winner(database: Database) -> None:
    """Twenty racing approvals of one version: one wins, with one vote, one entry, one job."""
    before = await created(database)
    afters = [step(before, Approve(f"U{n}"), seconds=10) for n in range(2, 22)]
    results = await asyncio.gather(
        *(database.approvals.apply(before, a, audit=[entry("approved", a)]) for a in afters)
    )
    assert sorted(results) == [False] * 19 + [True]
    winner = afters[results.index(True)]
    assert await database.approvals.get(before.id) == winner
    assert await votes(database, before.id) == [(winner.decided_by, "approve", 0)]
    assert await audit_kinds(database) == ["requested", "approved"]
    assert await job_count(database) == 1


async def test_applies_through_two_engines_have_one_winner(place: Place) -> None:
    """Two processes (separate engines and pools) racing on one version: one apply wins."""
    first = await place.open()
    await first.migrate()
    second = await place.open()
    before = await created(first)
    afters = [step(before, Approve(f"U{n}"), seconds=10) for n in range(2, 22)]
    results = await asyncio.gather(
        *(
            handle.approvals.apply(before, a, audit=[entry("approved", a)])
            for a, handle in zip(afters, [first, second] * 10, strict=True)
        )
    )
    assert sorted(results) == [False] * 19 + [True]
    assert await second.approvals.get(before.id) == afters[results.index(True)]
    assert await job_count(first) == 1


async def test_the_job_is_enqueued_once_when_approved(database: Database) -> None:
    """Reaching the quorum enqueues one job; votes before and transitions after add none."""
    pending = await created(database, quorum=2)
    one_vote = step(pending, Approve("U2"), seconds=10)
    assert await database.approvals.apply(pending, one_vote, audit=[])
    assert await job_count(database) == 0
    approved = step(one_vote, Approve("U3"), seconds=11)
    assert await database.approvals.apply(one_vote, approved, audit=[])
    assert await job_count(database) == 1
    executing = step(approved, StartExecution(), seconds=12)
    assert await database.approvals.apply(approved, executing, audit=[])
    done = step(executing, Finish("succeeded", "deployed"), seconds=13)
    assert await database.approvals.apply(executing, done, audit=[])
    assert await job_count(database) == 1
    job = await database.jobs.claim_next(owner="w1", now=at(20), lease=timedelta(seconds=30))
    assert job is not None
    assert (job.approval_id, job.idempotency_key) == (pending.id, "idem-1")


async def test_votes_are_one_per_person_per_round(database: Database) -> None:
    """A voter votes again after the params were edited, but never twice in one round."""
    pending = await created(database, quorum=3)
    voted = step(pending, Approve("U2"), seconds=10)
    edited = step(voted, edit("U3", {"service": "web"}), seconds=11)
    again = step(edited, Approve("U2"), seconds=12)
    for before, after in [(pending, voted), (voted, edited), (edited, again)]:
        assert await database.approvals.apply(before, after, audit=[])
    assert await votes(database, pending.id) == [("U2", "approve", 0), ("U2", "approve", 1)]
    # A transition the domain never makes: votes reset without a new round, then U2 again.
    reset = replace(again, approvals=(), version=again.version + 1)
    assert await database.approvals.apply(again, reset, audit=[])
    twice = replace(reset, approvals=("U2",), version=reset.version + 1)
    with pytest.raises(StorageError):
        await database.approvals.apply(reset, twice, audit=[entry("approved_vote", twice)])
    assert await database.approvals.get(pending.id) == reset
    assert await votes(database, pending.id) == [("U2", "approve", 0), ("U2", "approve", 1)]
    assert await audit_kinds(database) == ["requested"]


async def test_a_rejection_is_the_rejecters_vote_of_the_round(database: Database) -> None:
    """Rejecting records a reject vote; one who approved this round and then rejects has one."""
    first = await created(database, 1, quorum=2)
    voted = step(first, Approve("U2"), seconds=10)
    rejected = step(voted, Reject("U3", "not today"), seconds=11)
    assert await database.approvals.apply(first, voted, audit=[])
    assert await database.approvals.apply(voted, rejected, audit=[entry("rejected", rejected)])
    assert await votes(database, first.id) == [("U2", "approve", 0), ("U3", "reject", 0)]
    second = await created(database, 2, quorum=2)
    changed_mind = step(second, Approve("U2"), seconds=10)
    withdrawn = step(changed_mind, Reject("U2", "wrong env"), seconds=11)
    assert await database.approvals.apply(second, changed_mind, audit=[])
    assert await database.approvals.apply(changed_mind, withdrawn, audit=[])
    assert await votes(database, second.id) == [("U2", "reject", 0)]
    assert await job_count(database) == 0


async def test_apply_is_atomic_with_its_audit_entries(database: Database) -> None:
    """When an audit entry cannot be written, the transition, its vote and job are not stored."""
    before = await created(database)
    after = step(before, Approve("U2"), seconds=10)
    broken = entry("approved", after, at=datetime(2026, 11, 23, 12, 0))  # naive: refused
    with pytest.raises(StorageError):
        await database.approvals.apply(before, after, audit=[broken])
    assert await database.approvals.get(before.id) == before
    assert await votes(database, before.id) == []
    assert await job_count(database) == 0


async def test_apply_refuses_a_different_approval(database: Database) -> None:
    """Applying one approval's transition over another's is a StorageError."""
    first, second = await created(database, 1), await created(database, 2)
    with pytest.raises(StorageError):
        await database.approvals.apply(first, step(second, Approve("U2"), seconds=5), audit=[])
    assert await database.approvals.get(first.id) == first


async def test_message_ts_survives_a_transition_computed_before_it(database: Database) -> None:
    """The card's ts is kept by a transition computed before it was set, without a new version."""
    before = await created(database, quorum=2)
    await database.approvals.set_message_ts(before.id, "1700000009.000100")
    assert await database.approvals.get(before.id) == replace(
        before, message_ts="1700000009.000100"
    )
    after = step(before, Approve("U2"), seconds=10)
    assert await database.approvals.apply(before, after, audit=[])
    assert await database.approvals.get(before.id) == replace(after, message_ts="1700000009.000100")
    await database.approvals.set_message_ts("nope", "1.2")  # unknown: harmless


async def test_pending_lists_a_workspaces_pending_requests_oldest_first(
    database: Database,
) -> None:
    """Pending lists only pending requests of the team, oldest first, up to the limit."""
    for n in (3, 1, 2):
        await created(database, n)
    await created(database, 4, team_id="T2")
    done = await created(database, 0)
    assert await database.approvals.apply(done, step(done, Approve("U2"), seconds=5), audit=[])
    listed = await database.approvals.pending(team_id="T1", limit=10)
    assert [a.id for a in listed] == ["approval-1", "approval-2", "approval-3"]
    assert listed[0] == approval(1)
    assert [a.id for a in await database.approvals.pending(team_id="T1", limit=2)] == [
        "approval-1",
        "approval-2",
    ]
    assert [a.id for a in await database.approvals.pending(team_id="T2", limit=10)] == [
        "approval-4"
    ]


async def test_due_to_expire_lists_pending_requests_past_expiry(database: Database) -> None:
    """Pending requests expiring at or before now are due, soonest first; others are not."""
    for n, expiry in [(1, 300), (2, 100), (3, 200), (4, 400)]:
        await created(database, n, expires_at=at(expiry))
    decided = await created(database, 5, expires_at=at(50))
    assert await database.approvals.apply(
        decided, step(decided, Approve("U2"), seconds=10), audit=[]
    )
    due = await database.approvals.due_to_expire(now=at(300), limit=10)
    assert [a.id for a in due] == ["approval-2", "approval-3", "approval-1"]
    assert [a.id for a in await database.approvals.due_to_expire(now=at(300), limit=1)] == [
        "approval-2"
    ]
    assert await database.approvals.due_to_expire(now=at(99), limit=10) == []


async def test_the_canonical_action_and_its_digest_round_trip(database: Database) -> None:
    """The canonical action reads back equal, byte for byte, beside its stored digest."""
    stored = await created(database)
    assert stored.canonical is not None
    found = await database.approvals.get(stored.id)
    assert found is not None and found.canonical == stored.canonical
    async with database.engine.connect() as connection:
        row = (await connection.execute(select(approvals).where(approvals.c.id == stored.id))).one()
    assert row.canonical_json == stored.canonical.as_json()
    assert row.action_digest == stored.digest


async def test_a_request_from_before_digests_loads_without_one(database: Database) -> None:
    """Rows written before 0013 (no canonical action) load with ``canonical`` None."""
    stored = await created(database, canonical=None)
    found = await database.approvals.get(stored.id)
    assert found == stored and found is not None and found.digest is None


async def test_an_edit_stores_the_new_canonical_action(database: Database) -> None:
    """EditParams replaces the canonical action and its digest with the params."""
    pending = await created(database)
    edited = step(pending, edit("U3", {"service": "web"}), seconds=11)
    assert await database.approvals.apply(pending, edited, audit=[])
    found = await database.approvals.get(pending.id)
    assert found is not None and found.canonical == edited.canonical
    assert found.digest is not None and found.digest != pending.digest


async def test_a_canonical_action_that_does_not_match_its_digest_is_refused(
    database: Database,
) -> None:
    """A row whose canonical JSON was changed without its digest (or is malformed) is a
    StorageError, never a request that seems consented."""
    stored = await created(database)
    assert stored.canonical is not None
    for values in (
        {"canonical_json": stored.canonical.as_json().replace("prod", "dev")},
        {"canonical_json": "{not json"},
    ):
        async with database.engine.begin() as connection:
            await connection.execute(
                update(approvals).where(approvals.c.id == stored.id).values(**values)
            )
        with pytest.raises(StorageError):
            await database.approvals.get(stored.id)


async def test_by_card_finds_the_request_whose_card_a_message_is(database: Database) -> None:
    """By channel and message ts; another channel or message finds nothing."""
    first, second = await created(database, 1), await created(database, 2)
    await database.approvals.set_message_ts(first.id, "1700000009.000100")
    await database.approvals.set_message_ts(second.id, "1700000009.000200")
    found = await database.approvals.by_card("C1", "1700000009.000200")
    assert found is not None and found.id == second.id
    assert await database.approvals.by_card("C2", "1700000009.000200") is None
    assert await database.approvals.by_card("C1", "1700000009.000300") is None
