"""Read results: a run's presented output reaches its thread and the read cache (of its channel
only), and a turn runs a read itself and gets its result, within a wait."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from datetime import timedelta

from structlog.testing import capture_logs

from agents.actions.approval import Approval
from agents.actions.execution import ExecutionRequest, ExecutionResult
from agents.actions.finished import FinishedRuns
from agents.actions.operations import OperationStores, build_operations
from agents.actions.ports import ApprovalNews
from agents.actions.presentation import ResultFormat
from agents.actions.read_cache import ReadCache
from agents.actions.reads import ReadRequest, ReadResult, TurnReads
from agents.actions.spec import ActionSpec, Audience
from agents.kernel.models import Inbound
from tests.agents.actions.test_operations import ACTIONS, ALICE, BOB, World
from tests.agents.fakes import RecordingNotifier, ScriptedExecutor

FIELDS = ResultFormat(fields=(("State", "state"), ("Replicas", "replicas")), given=True)
STATUS = replace(ACTIONS[0], result=FIELDS)
BODY = json.dumps({"state": "green", "replicas": 3, "token": "do-not-show-me"})
HEALTHY = ExecutionResult("succeeded", "HTTP 200 from status-api (attempt 1)", body=BODY)


def _world(*actions: ActionSpec, cache: bool = True, eager_worker: bool = False) -> World:
    """A world over ``actions`` (default: the status read with fields, then the rest); with
    ``eager_worker`` a worker claims each job the moment its request is approved."""
    world = World()
    if eager_worker:
        world.notifier = _WorkerOnApproval(world)
    specs = actions or (STATUS, *ACTIONS[1:])
    world.executors = {a.name: ScriptedExecutor() for a in specs}
    world.executors["status"] = ScriptedExecutor(HEALTHY)
    world.ops = build_operations(
        specs,
        stores=OperationStores(approvals=world.approvals, jobs=world.jobs, audit=world.audit),
        groups=world.groups,
        executors=world.executors,
        targets=world.targets,
        notifier=world.notifier,
        clock=world.clock,
        read_cache=ReadCache(clock=world.clock, ttl=timedelta(seconds=30)) if cache else None,
    )
    return world


def _in(world: World, *, channel: str = "C_OPS", user: str = ALICE, trace: str = "t1") -> Inbound:
    return replace(world.inbound(user=user, trace=trace), channel_id=channel)


async def _read(
    world: World, inbound: Inbound | None = None, *, wait: float = 5.0, **values: str
) -> ReadResult:
    spec = world.ops.catalog.action("status")
    assert spec is not None
    return await world.ops.reads.run(ReadRequest(inbound or _in(world), spec, values), wait=wait)


async def test_a_finished_read_tells_its_thread_the_presented_output() -> None:
    """The thread's news carries the fields (the secret-named one never asked for, and
    redacted anyway); the card's summary stays the executor's."""
    world = _world()
    await world.propose("status", service="api")
    final = await world.run()
    assert final is not None and final.result == "HTTP 200 from status-api (attempt 1)"
    _, news = world.notifier.changes[-1]
    assert news is not None and news.kind == "finished" and news.output is not None
    assert news.output.fields == (("State", "green"), ("Replicas", "3"))


async def test_a_write_action_shows_its_output_only_with_a_result_format() -> None:
    """A deploy's response body is not shown by default; with a ``result`` block it is."""
    deploy = ACTIONS[1]
    for spec, shown in ((deploy, False), (replace(deploy, result=FIELDS), True)):
        world = _world(ACTIONS[0], spec)
        world.executors["deploy"] = ScriptedExecutor(HEALTHY)
        approval = await world.request("deploy", service="api", env="prod")
        await world.vote(approval, BOB)
        await world.run()
        _, news = world.notifier.changes[-1]
        assert news is not None and (news.output is not None) is shown


async def test_a_cached_read_shows_its_fields_again_but_only_in_its_own_channel() -> None:
    """Within the TTL the same channel gets the output from the cache (fields as items);
    another channel runs the read again: a result never crosses channels."""
    world = _world()
    await world.propose("status", service="api")
    await world.run()
    world.clock.advance(5)
    spec = world.ops.catalog.action("status")
    assert spec is not None
    again = await world.ops.proposals.propose(
        _in(world, trace="t2"), action=spec, raw={"service": "api"}
    )
    assert again.approval_id is None
    assert (
        again.text == "`status` service=api (checked 5s ago; HTTP 200 from status-api (attempt 1))"
    )
    assert [(item.label, item.detail) for item in again.items] == [
        ("State", "green"),
        ("Replicas", "3"),
    ]
    elsewhere = await world.ops.proposals.propose(
        _in(world, channel="C_PRIVATE", trace="t3"), action=spec, raw={"service": "api"}
    )
    assert elsewhere.approval_id is not None


async def test_a_cached_template_output_is_escaped_for_chat() -> None:
    """A value that would ping a channel or link somewhere is posted as text."""
    spec = replace(ACTIONS[0], result=ResultFormat(template="{state}", given=True))
    world = _world(spec)
    world.executors["status"] = ScriptedExecutor(
        ExecutionResult(
            "succeeded", "ok", body=json.dumps({"state": "<!channel> <http://x|y> & co"})
        )
    )
    await world.propose("status", service="api")
    await world.run()
    again = await world.propose("status", trace="t2", service="api")
    assert again.text.endswith(":\n&lt;!channel&gt; &lt;http://x|y&gt; &amp; co")


async def test_a_turn_runs_its_read_itself_and_gets_the_output() -> None:
    """No worker needed: the turn claims the job, runs it once, and reads the fields; the
    audit trail and the thread are told as for any read."""
    world = _world()
    result = await _read(world, service="api")
    assert (result.action, result.status, result.summary) == (
        "status",
        "succeeded",
        "HTTP 200 from status-api (attempt 1)",
    )
    assert result.output is not None
    assert result.output.fields == (("State", "green"), ("Replicas", "3"))
    assert world.executors["status"].runs == 1
    approval = world.approvals.only()
    assert approval.state == "succeeded"
    assert [row.state for row in world.jobs.for_approval(approval.id)] == ["done"]
    assert world.audit.kinds() == ["requested", "ran_without_approval", "started", "succeeded"]
    assert world.notifier.states[-1] == "succeeded"
    assert await world.run() is None  # nothing left for a worker


async def test_a_turn_waits_for_a_worker_that_claimed_its_read_first() -> None:
    """A worker of this process took the job the moment it was approved: the turn gets the
    same result from that run, and it ran once."""
    world = _world()
    world.notifier = _WorkerOnApproval(world)
    world.ops = replace(
        world.ops,
        proposals=replace(
            world.ops.proposals,
            transitions=replace(world.ops.proposals.transitions, notifier=world.notifier),
        ),
    )
    world.ops = replace(
        world.ops,
        reads=TurnReads(
            world.ops.proposals, world.ops.runs, world.ops.reads.board, clock=world.clock
        ),
    )
    result = await _read(world, service="api")
    assert result.status == "succeeded" and result.output is not None
    assert world.executors["status"].runs == 1
    assert world.notifier.ran == ["worker-1"]


class _WorkerOnApproval(RecordingNotifier):
    """Runs the worker as soon as a request is approved (it wins the claim)."""

    def __init__(self, world: World) -> None:
        super().__init__()
        self.world = world
        self.ran: list[str] = []

    async def approval_changed(self, approval: Approval, *, news: ApprovalNews | None) -> None:
        await super().approval_changed(approval, news=news)
        if approval.state == "approved" and await self.world.run("worker-1") is not None:
            self.ran.append("worker-1")


async def test_a_second_turn_in_the_channel_reads_the_cache() -> None:
    """Within the TTL a turn's read is answered from the cache, with its age."""
    world = _world()
    await _read(world, service="api")
    world.clock.advance(7)
    cached = await _read(world, _in(world, trace="t2"), service="api")
    assert (cached.status, cached.age) == ("succeeded", 7)
    assert cached.output is not None and world.executors["status"].runs == 1


async def test_a_read_the_person_may_not_run_is_refused_with_the_reason() -> None:
    """Policy still decides (and audits the refusal); nothing is stored or run."""
    spec = replace(STATUS, requesters=Audience(users=frozenset({BOB})))
    world = _world(spec)
    result = await _read(world, service="api")
    assert (result.status, result.summary) == ("refused", "You are not allowed to run `status`.")
    assert world.audit.kinds() == ["refused"] and world.executors["status"].runs == 0


async def test_a_read_missing_a_value_says_which() -> None:
    """The question that would go to a person goes to the model instead."""
    world = _world()
    result = await _read(world)
    assert result.status == "refused" and "*service*" in result.summary


async def test_a_read_slower_than_the_wait_finishes_in_the_background() -> None:
    """The turn stops waiting and is told; the run goes on and ends as usual (the thread
    is told), never cut in the middle."""
    world = _world()
    gate = asyncio.Event()
    world.executors["status"] = _Held(gate)  # type: ignore[assignment]
    result = await _read(world, wait=0.05, service="api")
    assert result.status == "not_finished" and result.output is None
    assert "did not finish within 0.05s" in result.summary
    assert world.approvals.only().state == "executing"
    gate.set()
    for _ in range(100):
        if world.approvals.only().state == "succeeded":
            break
        await asyncio.sleep(0.01)
    assert world.approvals.only().state == "succeeded"
    assert world.notifier.states[-1] == "succeeded"


class _Held:
    """An executor that waits for ``gate`` before it answers."""

    def __init__(self, gate: asyncio.Event) -> None:
        self.gate = gate

    async def run(self, request: ExecutionRequest) -> ExecutionResult:
        await self.gate.wait()
        return HEALTHY


async def test_a_read_another_process_ran_is_read_back_from_the_store() -> None:
    """The run happened in another process (its board, not ours, heard of it): once the wait
    is over, the stored outcome and summary are the result, without an output."""
    world = _world()
    spec = world.ops.catalog.action("status")
    assert spec is not None
    other = ScriptedExecutor(HEALTHY)
    elsewhere = build_operations(
        (STATUS,),
        stores=OperationStores(approvals=world.approvals, jobs=world.jobs, audit=world.audit),
        groups=world.groups,
        executors={"status": other},
        targets=world.targets,
        notifier=world.notifier,
        clock=world.clock,
    )
    reads = TurnReads(world.ops.proposals, elsewhere.runs, FinishedRuns(), clock=world.clock)
    result = await reads.run(ReadRequest(_in(world), spec, {"service": "api"}), wait=0.2)
    assert (result.status, result.summary, result.output) == (
        "succeeded",
        "HTTP 200 from status-api (attempt 1)",
        None,
    )
    assert other.runs == 1 and world.executors["status"].runs == 0


async def test_drain_lets_a_read_still_running_finish_or_cuts_it() -> None:
    """At shutdown a read the turn stopped waiting for gets its time; one that outlasts it
    is cut (its job's lease lets a worker take it over later)."""
    world = _world()
    gate = asyncio.Event()
    world.executors["status"] = _Held(gate)  # type: ignore[assignment]
    await _read(world, wait=0.01, service="api")
    assert await world.ops.reads.drain(timeout=0.05) == 1
    assert world.approvals.only().state == "executing"
    assert await world.ops.reads.drain(timeout=0.05) == 0
    world2 = _world()
    gate2 = asyncio.Event()
    world2.executors["status"] = _Held(gate2)  # type: ignore[assignment]
    await _read(world2, wait=0.01, service="api")
    gate2.set()
    assert await world2.ops.reads.drain(timeout=1.0) == 0
    assert world2.approvals.only().state == "succeeded"


async def test_a_turn_stopped_while_requesting_its_read_leaves_no_half_made_request() -> None:
    """Stop cancels the waiting turn, not the request: the read is approved and run."""
    world = _world()
    spec = world.ops.catalog.action("status")
    assert spec is not None
    turn = asyncio.ensure_future(
        world.ops.reads.run(ReadRequest(_in(world), spec, {"service": "api"}), wait=5)
    )
    await asyncio.sleep(0)
    turn.cancel()
    await asyncio.gather(turn, return_exceptions=True)
    assert turn.cancelled()
    assert await world.ops.reads.drain(timeout=1.0) == 0
    assert world.approvals.only().state == "succeeded"
    assert world.executors["status"].runs == 1


async def test_a_run_that_fails_to_start_is_logged_and_the_turn_told_it_did_not_finish() -> None:
    """The store failing the turn's claim: the failure is logged (its type only), the job
    stays queued for a worker, and the model hears the read did not finish."""
    world = _world()

    async def broken(**_: object) -> None:
        raise RuntimeError("database is locked")

    world.jobs.claim_next = broken  # type: ignore[method-assign,assignment]
    with capture_logs() as logs:
        result = await _read(world, wait=0.05, service="api")
    assert result.status == "not_finished"
    assert {"event": "turn_read_failed", "error": "RuntimeError", "log_level": "error"} in logs
    assert [row.state for row in world.jobs.rows.values()] == ["queued"]


async def test_an_action_that_needs_approval_never_runs_inside_a_turn() -> None:
    """Asked to run a write as a read, the service refuses; nothing is stored."""
    world = _world()
    deploy = world.ops.catalog.action("deploy")
    assert deploy is not None
    result = await world.ops.reads.run(
        ReadRequest(_in(world), deploy, {"service": "api", "env": "prod"}), wait=1
    )
    assert (result.status, result.summary) == (
        "refused",
        "`deploy` needs approval; it cannot run inside a turn.",
    )
    assert world.approvals.rows == {} and world.executors["deploy"].runs == 0
