"""Agent scopes: which agent may use which action, checked when a request is admitted and
again right before its run, over in-memory ports."""

from __future__ import annotations

from dataclasses import replace

from agents.actions.catalog import ActionCatalog
from agents.actions.operations import Operations, OperationStores, build_operations
from agents.actions.scopes import AgentScopes, covers, may_use
from agents.actions.spec import (
    ActionSpec,
    ApprovalPolicy,
    Audience,
    ExecutorInfo,
    ParamSpec,
    Risk,
)
from agents.kernel.models import Inbound
from tests.agents.actions.test_operations import LEASE, World
from tests.agents.fakes import (
    FakeClock,
    FakeGroups,
    FakeTargets,
    MemoryApprovals,
    MemoryAudit,
    MemoryJobs,
    RecordingNotifier,
    ScriptedExecutor,
)

_CLUSTER = ParamSpec("cluster")


def _tool(name: str, *, agent: str, risk: Risk, approval: ApprovalPolicy) -> ActionSpec:
    """An MCP tool of the ``ops`` server as an action."""
    executor = ExecutorInfo("mcp", "mcp:ops", idempotent=False)
    return ActionSpec(name, agent, name, risk, executor, (_CLUSTER,), approval=approval)


HEALTH = _tool("ops_cluster_health", agent="", risk="read", approval=ApprovalPolicy(required=False))
FAILOVER = _tool(
    "ops_failover",
    agent="deploy",
    risk="dangerous",
    approval=ApprovalPolicy(approvers=Audience(users=frozenset({"U_BOB"}))),
)
SCOPES = AgentScopes(granted={"dba": frozenset({"ops_cluster_health"})})


def test_an_agent_uses_what_it_owns_and_what_its_scope_grants() -> None:
    """Owner = in scope; a grant adds; an action without owner is reached by grants only."""
    assert may_use(FAILOVER, "deploy")
    assert not may_use(FAILOVER, "dba")
    assert not may_use(HEALTH, "deploy") and not may_use(HEALTH, "")
    assert may_use(HEALTH, "dba", granted=frozenset({"ops_cluster_health"}))
    assert not may_use(FAILOVER, "deploy", listed=frozenset())  # a listing replaces ownership
    assert may_use(HEALTH, "dba", listed=frozenset(), granted=frozenset({HEALTH.name}))
    assert SCOPES.allows("dba", HEALTH) and not SCOPES.allows("deploy", HEALTH)


class _World:
    def __init__(self, scopes: AgentScopes) -> None:
        self.clock = FakeClock()
        self.audit = MemoryAudit()
        self.jobs = MemoryJobs()
        self.approvals = MemoryApprovals(self.jobs, self.audit)
        self.executor = ScriptedExecutor()
        self.ops = self.build(scopes)

    def build(self, scopes: AgentScopes) -> Operations:
        return build_operations(
            (HEALTH, FAILOVER),
            stores=OperationStores(approvals=self.approvals, jobs=self.jobs, audit=self.audit),
            groups=FakeGroups({}),
            executors={HEALTH.name: self.executor, FAILOVER.name: self.executor},
            targets=FakeTargets(),
            notifier=RecordingNotifier(),
            clock=self.clock,
            scopes=scopes,
        )

    @staticmethod
    def inbound() -> Inbound:
        return World().inbound()


async def test_a_request_for_an_action_outside_the_agents_scope_is_refused_and_audited() -> None:
    """Proposed for ``deploy`` (which neither owns nor was granted it): refused, audited,
    nothing stored or run."""
    world = _World(SCOPES)
    requested = await world.ops.proposals.request(
        world.inbound(), action=HEALTH, raw={"cluster": "db1"}, agent="deploy"
    )
    assert requested.outcome == "denied"
    assert requested.reply.text == "`ops_cluster_health` is not in the scope of agent `deploy`."
    (refused,) = world.audit.rows
    assert refused.kind == "refused" and refused.details["reason"] == requested.reply.text
    assert await world.ops.runs.run_next(owner="w", lease=LEASE) is None
    assert world.executor.runs == 0


async def test_a_request_in_scope_remembers_its_agent_and_runs() -> None:
    world = _World(SCOPES)
    requested = await world.ops.proposals.request(
        world.inbound(), action=HEALTH, raw={"cluster": "db1"}, agent="dba"
    )
    assert requested.outcome == "started"
    final = await world.ops.runs.run_next(owner="w", lease=LEASE)
    assert final is not None and final.agent == "dba" and final.state == "succeeded"
    assert world.executor.runs == 1


async def test_a_request_whose_agent_lost_the_action_before_its_run_is_not_run() -> None:
    """The scope narrowed between the request and the run (a config change): the worker
    ends it ``failed`` without calling the executor."""
    world = _World(SCOPES)
    requested = await world.ops.proposals.request(
        world.inbound(), action=HEALTH, raw={"cluster": "db1"}, agent="dba"
    )
    assert requested.outcome == "started"
    narrowed = world.build(replace(SCOPES, granted={}))
    final = await narrowed.runs.run_next(owner="w", lease=LEASE)
    assert final is not None and final.state == "failed"
    assert (
        final.result
        == "`ops_cluster_health` is no longer in the scope of agent `dba`; it was not run."
    )
    assert world.executor.runs == 0


async def test_a_request_without_an_agent_is_checked_by_policy_alone() -> None:
    """A request completed from a question carries no agent: the person's policy decides."""
    world = _World(SCOPES)
    requested = await world.ops.proposals.request(
        world.inbound(), action=HEALTH, raw={"cluster": "db1"}
    )
    assert requested.outcome == "started"
    final = await world.ops.runs.run_next(owner="w", lease=LEASE)
    assert final is not None and final.state == "succeeded" and final.agent is None


def test_a_scope_entry_covers_tools_by_server_and_glob_whenever_asked() -> None:
    """``ops:*`` covers any tool of ops (one it adds later too), ``ops:cluster_*`` only those
    names, a bare ``ops`` every tool; another server's entry and a non-MCP action never."""
    rollback = replace(
        HEALTH, name="ops_rollback", executor=ExecutorInfo("mcp", "mcp:ops", tool="rollback")
    )
    health = replace(HEALTH, executor=ExecutorInfo("mcp", "mcp:ops", tool="cluster_health"))
    shell = replace(HEALTH, name="restart", executor=ExecutorInfo("shell", "ops"))
    assert covers(["ops:*"], rollback) and covers(["ops"], rollback)
    assert covers(["ops:cluster_*"], health) and not covers(["ops:cluster_*"], rollback)
    assert not covers(["grafana:*"], rollback) and not covers(["ops:*"], shell)
    assert may_use(rollback, "dba", scopes=("ops:*",))
    assert not may_use(rollback, "viewer", scopes=("ops:cluster_health",))
    scopes = AgentScopes(scopes={"dba": ("ops:*",)})
    assert scopes.allows("dba", rollback) and not scopes.allows("viewer", rollback)


def test_a_withdrawn_tool_is_no_longer_offered_but_still_found_by_name() -> None:
    """A tool the server stopped listing leaves the catalog's offer (listing, matching,
    what a person may run) but a request already made still finds it; listed again, it is
    offered again."""
    catalog = ActionCatalog([HEALTH], groups=FakeGroups())
    rollback = replace(HEALTH, name="ops_rollback", formats=("ops rollback {cluster}",))
    catalog.update([rollback])
    assert [a.name for a in catalog.actions] == ["ops_cluster_health", "ops_rollback"]
    catalog.update([], withdrawn=frozenset({"ops_rollback"}))
    assert [a.name for a in catalog.actions] == ["ops_cluster_health"]
    assert catalog.match("ops rollback db1") is None
    assert catalog.action("ops_rollback") == rollback
    catalog.update([rollback])
    assert catalog.match("ops rollback db1") is not None
