"""The read cache: a fresh status result answers again without running; it expires."""

from __future__ import annotations

from datetime import timedelta

from agents.actions.execution import ExecutionResult
from agents.actions.operations import OperationStores, build_operations
from agents.actions.read_cache import ReadCache
from tests.agents.actions.test_operations import ACTIONS, ALICE, World


def _world() -> World:
    world = World()
    world.ops = build_operations(
        ACTIONS,
        stores=OperationStores(approvals=world.approvals, jobs=world.jobs, audit=world.audit),
        groups=world.groups,
        executors=world.executors,
        targets=world.targets,
        notifier=world.notifier,
        clock=world.clock,
        read_cache=ReadCache(clock=world.clock, ttl=timedelta(seconds=30)),
    )
    return world


async def test_a_status_answered_moments_ago_is_not_run_again() -> None:
    """status api runs once; asked again within the TTL it is answered from the cache."""
    world = _world()
    world.executors["status"].results = [ExecutionResult("succeeded", "api v1.2 healthy")]
    first = await world.propose("status", service="api")
    assert first.approval_id is not None
    await world.run()
    world.clock.advance(10)
    again = await world.propose("status", ALICE, trace="trace-2", service="api")
    assert again.approval_id is None
    assert again.text == "`status` service=api: api v1.2 healthy (checked 10s ago)"
    assert world.executors["status"].runs == 1


async def test_other_params_and_expired_entries_run_again() -> None:
    """Another service is not a hit; after the TTL the status runs again."""
    world = _world()
    await world.propose("status", service="api")
    await world.run()
    other = await world.propose("status", trace="trace-2", service="web")
    assert other.approval_id is not None
    await world.run()
    world.clock.advance(31)
    expired = await world.propose("status", trace="trace-3", service="api")
    assert expired.approval_id is not None


async def test_failures_and_actions_needing_approval_are_never_cached() -> None:
    """A failed status is not kept; a write action never comes from the cache."""
    world = _world()
    world.executors["status"].results = [ExecutionResult("failed", "timeout")]
    await world.propose("status", service="api")
    await world.run()
    retry = await world.propose("status", trace="trace-2", service="api")
    assert retry.approval_id is not None
