"""What became of a request, as :meth:`Proposals.request` reports it for the turn's record:
one outcome per path (refused by policy, invalid, a question, the read cache, run at once,
waiting for approval), each with the reply :meth:`Proposals.propose` gives."""

from __future__ import annotations

from agents.actions.execution import ExecutionResult
from agents.actions.proposals import Requested
from tests.agents.actions.test_operations import ALICE, World
from tests.agents.actions.test_read_cache import _world as cached_world


async def _request(world: World, action: str, *, trace: str = "trace-1", **raw: str) -> Requested:
    spec = world.ops.catalog.action(action)
    assert spec is not None
    return await world.ops.proposals.request(world.inbound(trace=trace), action=spec, raw=raw)


async def test_a_request_waiting_for_approval_is_proposed_with_its_quorum() -> None:
    """A card: ``proposed``, the validated values, and the approvals still needed."""
    world = World()
    requested = await _request(world, "rollback", service="api")
    assert (requested.outcome, dict(requested.values), requested.quorum) == (
        "proposed",
        {"service": "api"},
        2,
    )
    assert requested.reply.approval_id is not None
    assert requested.reply.text == "`rollback` needs approval."


async def test_a_read_action_is_started_at_once() -> None:
    """No approval needed: ``started`` (approved by policy, its job queued)."""
    world = World()
    requested = await _request(world, "status", service="api")
    assert (requested.outcome, requested.quorum) == ("started", 0)
    assert requested.reply.text == "Running `status` now."


async def test_refusals_and_questions_say_why() -> None:
    """Policy refuses ``denied``; a bad value is ``invalid``; a missing one is ``asked``."""
    world = World()
    denied = await _request(world, "purge", service="api")
    invalid = await _request(world, "deploy", service="api", env="moon")
    asked = await _request(world, "deploy", service="api")
    assert [r.outcome for r in (denied, invalid, asked)] == ["denied", "invalid", "asked"]
    assert denied.reply.text == "You are not allowed to run `purge`."
    assert invalid.reply.text.startswith("I can't run `deploy`")
    assert asked.reply.pending is not None and asked.reply.pending.missing == ("env",)
    assert (dict(denied.values), dict(invalid.values)) == ({}, {})
    assert world.approvals.rows == {}


async def test_a_read_answered_from_the_cache_is_cached() -> None:
    """A status checked moments ago: ``cached``, answered without a run."""
    world = cached_world()
    world.executors["status"].results = [ExecutionResult("succeeded", "api healthy")]
    await _request(world, "status", service="api")
    await world.run()
    again = await _request(world, "status", trace="trace-2", service="api")
    assert again.outcome == "cached" and again.reply.approval_id is None
    assert world.executors["status"].runs == 1


async def test_propose_gives_the_same_reply() -> None:
    """``propose`` is ``request`` without the outcome."""
    world = World()
    reply = await world.propose("deploy", ALICE, service="api", env="prod")
    assert reply.text == "`deploy` needs approval." and reply.approval_id is not None
