"""Operations: propose, fill, vote, edit, expire and run actions, over in-memory ports."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field, replace
from datetime import timedelta

import pytest

from agents.actions.approval import Approval
from agents.actions.canonical import CanonicalAction
from agents.actions.decisions import ClickSite, VoteKind, VoteOutcome
from agents.actions.execution import ExecutionResult
from agents.actions.operations import Operations, OperationStores, build_operations
from agents.actions.policy import Person
from agents.actions.spec import ActionSpec, ApprovalPolicy, Audience, ExecutorInfo, ParamSpec, Risk
from agents.kernel.models import Inbound, PendingAction, Reply
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

ALICE, BOB, CAROL, DAVE, SRE, MALLORY = "U_ALICE", "U_BOB", "U_CAROL", "U_DAVE", "U_SRE", "U_MAL"
LEASE = timedelta(minutes=5)
_SERVICE = ParamSpec("service", pattern=r"[a-z][a-z0-9-]*", description="the service name")
_ENV = ParamSpec("env", kind="enum", choices=("staging", "prod"))


def _spec(
    name: str,
    *,
    risk: Risk = "write",
    params: tuple[ParamSpec, ...] = (_SERVICE,),
    approvers: frozenset[str] = frozenset({BOB, CAROL}),
    groups: frozenset[str] = frozenset({"sre"}),
    quorum: int = 1,
    required: bool = True,
    self_approval: bool = False,
    escalation: str | None = None,
    idempotent: bool = True,
    requesters: Audience | None = None,
    agent: str = "deploy",
) -> ActionSpec:
    return ActionSpec(
        name=name,
        agent=agent,
        description=f"{name} a service",
        risk=risk,
        executor=ExecutorInfo("http", f"{name}-api", idempotent=idempotent),
        params=params,
        formats=(f"{name} {{service}}",),
        requesters=requesters or Audience(),
        approval=ApprovalPolicy(
            required=required,
            approvers=Audience(users=approvers, groups=groups),
            quorum=quorum,
            allow_self_approval=self_approval,
            expires_after=timedelta(minutes=30),
            escalation_channel=escalation,
        ),
    )


ACTIONS = (
    _spec("status", risk="read", required=False, agent="status"),
    _spec("deploy", params=(_SERVICE, _ENV), escalation="C_ESCALATE"),
    _spec("restart", idempotent=False),
    _spec(
        "rollback",
        risk="dangerous",
        approvers=frozenset({BOB, CAROL, DAVE}),
        groups=frozenset(),
        quorum=2,
    ),
    _spec("nuke", risk="dangerous", approvers=frozenset({ALICE, BOB}), self_approval=True),
    _spec("scale", approvers=frozenset({ALICE, BOB}), self_approval=True),
    _spec("purge", requesters=Audience(users=frozenset({BOB}))),
)


@dataclass
class World:
    """Operations over fresh fakes, and the fakes to look into."""

    clock: FakeClock = field(default_factory=FakeClock)
    audit: MemoryAudit = field(default_factory=MemoryAudit)
    jobs: MemoryJobs = field(default_factory=MemoryJobs)
    notifier: RecordingNotifier = field(default_factory=RecordingNotifier)
    groups: FakeGroups = field(
        default_factory=lambda: FakeGroups({ALICE: {"devs"}, SRE: {"sre", "devs"}})
    )
    executors: dict[str, ScriptedExecutor] = field(
        default_factory=lambda: {a.name: ScriptedExecutor() for a in ACTIONS}
    )
    targets: FakeTargets = field(default_factory=FakeTargets)
    approvals: MemoryApprovals = field(init=False)
    ops: Operations = field(init=False)

    def __post_init__(self) -> None:
        self.approvals = MemoryApprovals(self.jobs, self.audit)
        self.ops = build_operations(
            ACTIONS,
            stores=OperationStores(approvals=self.approvals, jobs=self.jobs, audit=self.audit),
            groups=self.groups,
            executors=self.executors,
            targets=self.targets,
            notifier=self.notifier,
            clock=self.clock,
        )

    def inbound(self, text: str = "", *, user: str = ALICE, trace: str = "trace-1") -> Inbound:
        return Inbound(
            team_id="T1",
            channel_id="C_OPS",
            user_id=user,
            text=text,
            source="mention",
            event_id=f"Ev-{trace}",
            trace_id=trace,
            received_at=self.clock.now(),
            ts="100.1",
            thread_ts=None,
        )

    async def propose(
        self, action: str, user: str = ALICE, *, trace: str = "trace-1", **raw: str
    ) -> Reply:
        spec = self.ops.catalog.action(action)
        assert spec is not None
        return await self.ops.proposals.propose(
            self.inbound(user=user, trace=trace), action=spec, raw=raw
        )

    async def request(self, action: str, user: str = ALICE, **raw: str) -> Approval:
        """Propose, post the card (record its ts, as the Slack edge does) and return the
        stored approval (asserting a card was made)."""
        reply = await self.propose(action, user, **raw)
        assert reply.approval_id is not None, reply.text
        await self.ops.decisions.card_posted(reply.approval_id, f"card-{reply.approval_id}")
        return await self.stored(reply.approval_id)

    @staticmethod
    def card(approval: Approval) -> ClickSite:
        """Where a click on the approval's own card is made."""
        return ClickSite("C_OPS", f"card-{approval.id}")

    async def stored(self, approval_id: str) -> Approval:
        approval = await self.approvals.get(approval_id)
        assert approval is not None
        return approval

    async def vote(
        self, approval: Approval, user: str, kind: VoteKind = "approve", reason: str | None = None
    ) -> VoteOutcome:
        return await self.ops.decisions.vote(
            approval.token,
            user_id=user,
            site=self.card(approval),
            kind=kind,
            reason=reason,
        )

    async def edit(self, approval: Approval, user: str, **raw: str) -> VoteOutcome:
        return await self.ops.decisions.edit(
            approval.token, user_id=user, site=self.card(approval), raw=raw
        )

    async def run(self, owner: str = "worker-1") -> Approval | None:
        return await self.ops.runs.run_next(owner=owner, lease=LEASE)


@pytest.fixture
def world() -> World:
    return World()


# -- proposing -------------------------------------------------------------------------------


async def test_propose_makes_a_card_and_stores_a_pending_approval(world: World) -> None:
    """A valid request for an approved action: a card reply, a pending row, a requested entry."""
    reply = await world.propose("deploy", service="api", env="prod")
    assert reply.approval_id is not None
    assert reply.text == "`deploy` needs approval."
    assert reply.pending is None
    approval = await world.stored(reply.approval_id)
    assert approval.state == "pending"
    assert (approval.action, approval.requester, approval.team_id) == ("deploy", ALICE, "T1")
    assert dict(approval.params) == {"service": "api", "env": "prod"}
    assert (approval.quorum, approval.self_approval, approval.version) == (1, False, 0)
    assert approval.expires_at == world.clock.now() + timedelta(minutes=30)
    assert approval.thread_ts == "100.1"
    assert approval.trace_id == "trace-1"
    assert len(approval.token) >= 22  # at least 128 bits, URL-safe
    assert world.audit.kinds() == ["requested"]
    assert approval.canonical == CanonicalAction(
        "deploy",
        "http",
        {"method": "POST", "url": "https://deploy-api/deploy"},
        {"service": "api", "env": "prod"},
    )
    assert world.audit.rows[0].details == {
        "service": "api",
        "env": "prod",
        "action-digest": approval.canonical.digest,
    }
    assert world.audit.rows[0].actor == ALICE
    assert world.jobs.rows == {}
    assert world.notifier.changes == []  # the handler posts the card itself


async def test_every_request_gets_its_own_id_token_and_idempotency_key(world: World) -> None:
    """Two identical requests are two approvals that share nothing secret."""
    first = await world.request("deploy", service="api", env="prod")
    second = await world.request("deploy", service="api", env="prod")
    assert first.id != second.id
    assert first.token != second.token
    assert first.idempotency_key != second.idempotency_key


async def test_read_action_runs_without_approval_exactly_once(world: World) -> None:
    """A read action is auto-approved, queued, and run once by the worker."""
    reply = await world.propose("status", service="api")
    assert reply.text == "Running `status` now."
    assert reply.approval_id is not None
    approval = await world.stored(reply.approval_id)
    assert (approval.state, approval.quorum, approval.decided_by) == ("approved", 0, "policy")
    assert world.audit.kinds() == ["requested", "ran_without_approval"]
    assert [row.state for row in world.jobs.for_approval(approval.id)] == ["queued"]
    assert world.notifier.states == ["approved"]

    final = await world.run()
    assert final is not None and final.state == "succeeded"
    assert final.result == "done"
    executor = world.executors["status"]
    assert executor.runs == 1
    (request,) = executor.requests
    assert dict(request.params) == {"service": "api"}
    assert (request.action, request.requester, request.trace_id) == ("status", ALICE, "trace-1")
    assert request.idempotency_key == approval.idempotency_key
    assert [row.state for row in world.jobs.for_approval(approval.id)] == ["done"]
    assert await world.run() is None
    assert executor.runs == 1
    assert world.audit.kinds()[-2:] == ["started", "succeeded"]
    assert world.notifier.notes[-1] is not None
    assert world.notifier.notes[-1].endswith("`status` succeeded: done")


async def test_denied_requester_gets_a_refusal_and_an_audit_entry(world: World) -> None:
    """Someone not among the requesters is refused; nothing is stored but a refused entry."""
    reply = await world.propose("purge", ALICE, service="api")
    assert reply.text == "You are not allowed to run `purge`."
    assert reply.approval_id is None and reply.pending is None
    assert world.approvals.rows == {}
    (entry,) = world.audit.rows
    assert (entry.kind, entry.actor, entry.action, entry.trace_id) == (
        "refused",
        ALICE,
        "purge",
        "trace-1",
    )
    assert entry.details == {"reason": "You are not allowed to run `purge`."}


async def test_missing_param_asks_for_it_with_a_pending_action(world: World) -> None:
    """A request without a required value asks for it, listing the choices."""
    reply = await world.propose("deploy", service="api")
    assert reply.approval_id is None
    assert reply.pending == PendingAction(
        action="deploy", values=(("service", "api"),), missing=("env",), requester="U_ALICE"
    )
    assert "*env* (staging, prod)" in reply.text
    assert world.approvals.rows == {}


async def test_fill_with_a_bare_value_completes_the_request(world: World) -> None:
    """Replying just ``prod`` fills the parameter that was asked for."""
    asked = await world.propose("deploy", service="api")
    assert asked.pending is not None
    reply = await world.ops.proposals.fill(
        world.inbound("  prod  ", trace="trace-2"), asked.pending
    )
    assert reply is not None and reply.approval_id is not None
    approval = await world.stored(reply.approval_id)
    assert dict(approval.params) == {"service": "api", "env": "prod"}
    assert approval.trace_id == "trace-2"


async def test_fill_with_name_value_pairs(world: World) -> None:
    """Replying ``env=staging`` (spaces around = allowed) fills by name."""
    asked = await world.propose("deploy", service="api")
    assert asked.pending is not None
    reply = await world.ops.proposals.fill(world.inbound("env = staging"), asked.pending)
    assert reply is not None and reply.approval_id is not None
    assert dict((await world.stored(reply.approval_id)).params)["env"] == "staging"


async def test_fill_asks_for_each_missing_param_in_turn(world: World) -> None:
    """With two values missing, a bare reply fills the first and the next one is asked for."""
    asked = await world.propose("deploy")
    assert asked.pending is not None and asked.pending.missing == ("service", "env")
    assert "I will also need: env." in asked.text
    assert "(the service name)" in asked.text
    again = await world.ops.proposals.fill(world.inbound("web"), asked.pending)
    assert again is not None and again.pending is not None
    assert again.pending.missing == ("env",)
    assert dict(again.pending.values) == {"service": "web"}


async def test_fill_with_pairs_can_give_everything_at_once(world: World) -> None:
    """Several ``name=value`` pairs in one reply fill several parameters."""
    asked = await world.propose("deploy")
    assert asked.pending is not None
    reply = await world.ops.proposals.fill(world.inbound("service=web env=prod"), asked.pending)
    assert reply is not None and reply.approval_id is not None


async def test_fill_for_an_action_no_longer_configured_returns_none(world: World) -> None:
    """A pending question about a removed action is dropped."""
    pending = PendingAction(action="gone", values=(), missing=("x",))
    assert await world.ops.proposals.fill(world.inbound("1"), pending) is None


async def test_fill_with_an_invalid_value_is_an_error(world: World) -> None:
    """A bad reply is reported; nothing is stored."""
    asked = await world.propose("deploy", service="api")
    assert asked.pending is not None
    reply = await world.ops.proposals.fill(world.inbound("production"), asked.pending)
    assert reply is not None and reply.approval_id is None and reply.pending is None
    assert "env must be one of staging, prod" in reply.text
    assert world.approvals.rows == {}


async def test_invalid_value_is_an_error_reply(world: World) -> None:
    """An invalid value is refused with every problem named; no approval, no question."""
    reply = await world.propose("deploy", service="API!", env="qa")
    assert reply.text.startswith("I can't run `deploy`: ")
    assert "does not match" in reply.text and "env must be one of" in reply.text
    assert reply.approval_id is None and reply.pending is None
    assert world.approvals.rows == {}
    assert world.audit.rows == []


async def test_unknown_param_is_an_error_reply(world: World) -> None:
    """A value for a parameter the action does not have is refused."""
    reply = await world.propose("restart", service="api", force="yes")
    assert "unknown parameter 'force'" in reply.text
    assert world.approvals.rows == {}


# -- voting ----------------------------------------------------------------------------------


async def test_one_approval_approves_queues_and_tells_slack(world: World) -> None:
    """An approver's vote on quorum 1 approves, enqueues one job and notifies the thread."""
    approval = await world.request("deploy", service="api", env="prod")
    outcome = await world.vote(approval, BOB)
    assert outcome.refusal is None
    assert outcome.approval is not None and outcome.approval.state == "approved"
    stored = await world.stored(approval.id)
    assert (stored.state, stored.approvals, stored.decided_by, stored.version) == (
        "approved",
        (BOB,),
        BOB,
        1,
    )
    assert len(world.jobs.for_approval(approval.id)) == 1
    assert world.audit.kinds(approval.id) == ["requested", "approved"]
    assert world.notifier.notes == [f"<@{BOB}> approved. Running `deploy` now."]


async def test_vote_by_a_non_approver_is_refused_and_changes_nothing(world: World) -> None:
    """A person who is not an approver is told so; the approval, jobs and Slack are untouched."""
    approval = await world.request("deploy", service="api", env="prod")
    outcome = await world.vote(approval, MALLORY)
    assert outcome.refusal == "You are not an approver for `deploy`."
    assert await world.stored(approval.id) == approval
    assert world.jobs.rows == {}
    assert world.notifier.changes == []
    refused = world.audit.rows[-1]
    assert (refused.kind, refused.actor, refused.approval_id) == ("refused", MALLORY, approval.id)
    assert refused.details["attempted"] == "approve"


async def test_reject_by_a_non_approver_is_refused(world: World) -> None:
    """Rejecting is an approver's decision too."""
    approval = await world.request("deploy", service="api", env="prod")
    outcome = await world.vote(approval, MALLORY, "reject", "nope")
    assert outcome.refusal is not None
    assert (await world.stored(approval.id)).state == "pending"


async def test_approver_by_group_membership_may_approve(world: World) -> None:
    """A member of an approver group (resolved through the directory) may approve."""
    approval = await world.request("deploy", service="api", env="prod")
    outcome = await world.vote(approval, SRE)
    assert outcome.refusal is None
    assert (await world.stored(approval.id)).state == "approved"


async def test_self_approval_is_refused(world: World) -> None:
    """An approver may not approve their own request when self-approval is off."""
    approval = await world.request("deploy", BOB, service="api", env="prod")
    outcome = await world.vote(approval, BOB)
    assert outcome.refusal is not None and "someone else" in outcome.refusal
    assert (await world.stored(approval.id)).approvals == ()
    assert world.audit.kinds()[-1] == "refused"


async def test_self_approval_where_allowed(world: World) -> None:
    """With self-approval on for a write action, the requester's vote approves it."""
    approval = await world.request("scale", ALICE, service="api")
    assert approval.self_approval is True
    outcome = await world.vote(approval, ALICE)
    assert outcome.refusal is None
    assert (await world.stored(approval.id)).state == "approved"


async def test_dangerous_actions_are_never_self_approved(world: World) -> None:
    """Even configured with self-approval, a dangerous request needs someone else."""
    approval = await world.request("nuke", ALICE, service="api")
    assert approval.self_approval is False
    outcome = await world.vote(approval, ALICE)
    assert outcome.refusal is not None
    assert (await world.vote(approval, BOB)).refusal is None


async def test_quorum_two_needs_two_approvers(world: World) -> None:
    """The first vote is recorded without approving; the second approves and queues the job."""
    approval = await world.request("rollback", service="api")
    first = await world.vote(approval, BOB)
    assert first.approval is not None
    assert (first.approval.state, first.approval.approvals) == ("pending", (BOB,))
    assert world.jobs.rows == {}
    assert world.notifier.notes == [None]  # card updated, no thread message
    again = await world.vote(approval, BOB)
    assert again.refusal == "You already approved this request."
    second = await world.vote(approval, CAROL)
    assert second.approval is not None and second.approval.state == "approved"
    assert second.approval.approvals == (BOB, CAROL)
    assert len(world.jobs.for_approval(approval.id)) == 1
    assert world.audit.kinds(approval.id) == ["requested", "approved_vote", "approved"]


async def test_reject_with_a_reason(world: World) -> None:
    """A rejection records who and why, tells the thread, and queues nothing."""
    approval = await world.request("deploy", service="api", env="prod")
    outcome = await world.vote(approval, CAROL, "reject", "  code freeze  ")
    assert outcome.approval is not None
    stored = await world.stored(approval.id)
    assert (stored.state, stored.decided_by, stored.reason) == ("rejected", CAROL, "code freeze")
    assert world.jobs.rows == {}
    assert world.notifier.notes == [f"<@{CAROL}> rejected `deploy`: code freeze"]
    entry = world.audit.rows[-1]
    assert (entry.kind, entry.details) == ("rejected", {"reason": "code freeze"})
    late = await world.vote(approval, BOB)
    assert late.refusal == "This request was rejected."


async def test_reject_without_a_reason_says_so(world: World) -> None:
    """A blank reason is recorded as "no reason given"."""
    approval = await world.request("deploy", service="api", env="prod")
    await world.vote(approval, CAROL, "reject", "   ")
    assert (await world.stored(approval.id)).reason == "no reason given"


async def test_cancel_by_the_requester_only(world: World) -> None:
    """Only the requester can cancel; an approver's cancel changes nothing."""
    approval = await world.request("deploy", service="api", env="prod")
    refused = await world.vote(approval, BOB, "cancel")
    assert refused.refusal == "Only the requester can cancel this request."
    assert (await world.stored(approval.id)).state == "pending"
    done = await world.vote(approval, ALICE, "cancel")
    assert done.refusal is None
    assert (await world.stored(approval.id)).state == "cancelled"
    assert world.notifier.notes == [f"<@{ALICE}> cancelled the request."]
    assert world.audit.kinds(approval.id)[-1] == "cancelled"


async def test_vote_after_expiry_is_refused_even_before_the_sweep(world: World) -> None:
    """Past its expiry a request takes no votes, whether or not expire_due ran yet."""
    approval = await world.request("deploy", service="api", env="prod")
    world.clock.advance(30 * 60)
    outcome = await world.vote(approval, BOB)
    assert outcome.refusal == "This request expired."
    assert world.jobs.rows == {}


async def test_unknown_token_is_refused(world: World) -> None:
    """A token that matches no request is refused by vote, edit and may_decide alike."""
    expected = "This button does not belong to any request I know."
    site = ClickSite("C_OPS", "card-1")
    vote = await world.ops.decisions.vote("forged", user_id=BOB, site=site, kind="approve")
    edit = await world.ops.decisions.edit("forged", user_id=BOB, site=site, raw={})
    decide = await world.ops.decisions.may_decide(
        "forged", user_id=BOB, site=site, attempted="edit"
    )
    for outcome in (vote, edit, decide):
        assert outcome == VoteOutcome(None, expected)


async def test_twenty_concurrent_clicks_apply_once_and_run_once(world: World) -> None:
    """Twenty simultaneous approvals by one approver: one applies, one job, one run."""
    approval = await world.request("deploy", service="api", env="prod")
    outcomes = await asyncio.gather(*(world.vote(approval, BOB) for _ in range(20)))
    applied = [o for o in outcomes if o.refusal is None]
    assert len(applied) == 1
    assert {o.refusal for o in outcomes if o.refusal} == {"This request is already approved."}
    assert world.approvals.lost_races == 19  # they really raced: all read version 0
    assert world.approvals.applied == 1
    assert len(world.jobs.rows) == 1
    assert world.audit.kinds(approval.id) == ["requested", "approved"]
    assert len(world.notifier.changes) == 1

    assert (await world.run()) is not None
    assert await world.run() is None
    assert world.executors["deploy"].runs == 1
    assert (await world.stored(approval.id)).state == "succeeded"


async def test_twenty_concurrent_clicks_on_quorum_two_count_one_vote(world: World) -> None:
    """Repeated clicks by one approver are one vote: quorum 2 stays pending."""
    approval = await world.request("rollback", service="api")
    outcomes = await asyncio.gather(*(world.vote(approval, BOB) for _ in range(20)))
    assert sum(o.refusal is None for o in outcomes) == 1
    stored = await world.stored(approval.id)
    assert (stored.state, stored.approvals, stored.version) == ("pending", (BOB,), 1)


async def test_two_approvers_racing_on_quorum_two_both_count(world: World) -> None:
    """Two approvers clicking at once: the loser re-reads and its vote completes the quorum."""
    approval = await world.request("rollback", service="api")
    first, second = await asyncio.gather(world.vote(approval, BOB), world.vote(approval, CAROL))
    assert first.refusal is None and second.refusal is None
    assert world.approvals.lost_races == 1
    stored = await world.stored(approval.id)
    assert stored.state == "approved"
    assert set(stored.approvals) == {BOB, CAROL}
    assert stored.version == 2
    assert len(world.jobs.for_approval(approval.id)) == 1


async def test_card_ts_survives_transitions_and_reaches_the_notifier(world: World) -> None:
    """The card's ts is kept by every transition and given to the notifier."""
    reply = await world.propose("rollback", service="api")
    assert reply.approval_id is not None
    approval = await world.stored(reply.approval_id)  # read before the card exists
    await world.ops.decisions.card_posted(approval.id, "555.5")
    for voter in (BOB, CAROL):
        await world.ops.decisions.vote(
            approval.token, user_id=voter, site=ClickSite("C_OPS", "555.5"), kind="approve"
        )
    assert [a.message_ts for a, _ in world.notifier.changes] == ["555.5", "555.5"]
    assert (await world.stored(approval.id)).message_ts == "555.5"


async def test_may_decide_before_opening_a_modal(world: World) -> None:
    """Approvers of a pending request may decide; others, or a decided request, are refused."""
    approval = await world.request("deploy", service="api", env="prod")
    card = world.card(approval)
    ok = await world.ops.decisions.may_decide(
        approval.token, user_id=SRE, site=card, attempted="edit"
    )
    assert ok.refusal is None and ok.approval == approval
    nope = await world.ops.decisions.may_decide(
        approval.token, user_id=MALLORY, site=card, attempted="edit"
    )
    assert nope.refusal == "You are not an approver for `deploy`."
    await world.vote(approval, BOB)
    late = await world.ops.decisions.may_decide(
        approval.token, user_id=CAROL, site=card, attempted="edit"
    )
    assert late.refusal == "This request is already approved."


# -- editing ---------------------------------------------------------------------------------


async def test_edit_by_an_approver_resets_votes(world: World) -> None:
    """An approver's edit stores the new (validated) params and their canonical action,
    resets votes, counts the edit, and shows the thread the parameters and digest before and
    after."""
    approval = await world.request("rollback", service="api")
    await world.vote(approval, BOB)
    outcome = await world.edit(approval, CAROL, service="web")
    assert outcome.refusal is None
    stored = await world.stored(approval.id)
    assert dict(stored.params) == {"service": "web"}
    assert (stored.approvals, stored.edits, stored.state) == ((), 1, "pending")
    assert stored.canonical is not None and dict(stored.canonical.params) == {"service": "web"}
    assert approval.digest is not None and stored.digest is not None
    assert stored.digest != approval.digest
    entry = world.audit.rows[-1]
    assert (entry.kind, entry.actor, entry.details) == (
        "edited",
        CAROL,
        {
            "service": "web",
            "action-digest": stored.digest,
            "previous-action-digest": approval.digest,
        },
    )
    assert world.notifier.notes[-1] == (
        f"<@{CAROL}> changed the parameters; approvals so far were reset.\n"
        "• *service*: `api` → `web`\n"
        f"Action digest `{approval.digest[:12]}` → `{stored.digest[:12]}`"
    )
    # BOB must approve again, and one more approver is still needed.
    again = await world.vote(approval, BOB)
    assert again.approval is not None and again.approval.state == "pending"


async def test_invalid_edit_is_refused_and_changes_nothing(world: World) -> None:
    """An edit with a bad or missing value is refused with the problems named."""
    approval = await world.request("deploy", service="api", env="prod")
    bad = await world.edit(approval, BOB, service="api", env="qa")
    assert bad.refusal is not None and bad.refusal.startswith("Not changed: ")
    assert "env must be one of" in bad.refusal
    missing = await world.edit(approval, BOB, service="api")
    assert missing.refusal == "Not changed: env is required."
    unknown = await world.edit(approval, BOB, service="api", env="prod", colour="red")
    assert unknown.refusal is not None and "unknown parameter 'colour'" in unknown.refusal
    assert await world.stored(approval.id) == approval


async def test_edit_by_a_non_approver_is_refused(world: World) -> None:
    """Only approvers may change the parameters."""
    approval = await world.request("deploy", service="api", env="prod")
    outcome = await world.edit(approval, MALLORY, service="web", env="prod")
    assert outcome.refusal == "You are not an approver for `deploy`."
    assert await world.stored(approval.id) == approval


async def test_edit_after_approval_is_refused(world: World) -> None:
    """Params cannot change once approved."""
    approval = await world.request("deploy", service="api", env="prod")
    await world.vote(approval, BOB)
    outcome = await world.edit(approval, CAROL, service="web", env="prod")
    assert outcome.refusal == "This request is already approved."
    assert dict((await world.stored(approval.id)).params)["service"] == "api"


async def test_a_vote_that_loses_a_race_with_an_edit_is_not_applied_to_the_new_params(
    world: World,
) -> None:
    """A vote cast on the old params must not count for params changed under it."""
    approval = await world.request("deploy", service="api", env="staging")

    async def edit_first() -> None:
        # CAROL's edit commits between BOB reading the request and BOB's write.
        edited = await world.edit(approval, CAROL, service="api", env="prod")
        assert edited.refusal is None

    world.approvals.before_next_apply = edit_first
    outcome = await world.vote(approval, BOB)
    stored = await world.stored(approval.id)
    assert dict(stored.params)["env"] == "prod"
    assert outcome.refusal is not None and "changed" in outcome.refusal
    assert (stored.state, stored.approvals) == ("pending", ())
    assert world.jobs.rows == {}


# -- pending_for -----------------------------------------------------------------------------


async def test_pending_for_lists_what_a_person_may_approve_or_asked_for(world: World) -> None:
    """Pending requests (oldest first) the person may approve or asked for; nothing decided."""
    deploy = await world.request("deploy", ALICE, service="api", env="prod")
    world.clock.advance(1)
    rollback = await world.request("rollback", ALICE, service="api")
    world.clock.advance(1)
    own = await world.request("deploy", BOB, service="web", env="prod")
    decided = await world.request("restart", ALICE, service="api")
    await world.vote(decided, BOB)
    other_team = await world.request("restart", ALICE, service="db")
    world.approvals.rows[other_team.id] = replace(other_team, team_id="T2")

    async def ids(user: str) -> list[str]:
        person = await world.ops.catalog.person(user, "C_OPS")
        return [a.id for a in await world.ops.decisions.pending_for(person, team_id="T1")]

    assert await ids(BOB) == [deploy.id, rollback.id, own.id]  # BOB may approve and asked
    assert await ids(CAROL) == [deploy.id, rollback.id, own.id]
    assert await ids(DAVE) == [rollback.id]  # approver of rollback only
    assert await ids(SRE) == [deploy.id, own.id]  # by group; rollback names users only
    assert await ids(ALICE) == [deploy.id, rollback.id]
    assert await ids(MALLORY) == []


# -- expiry ----------------------------------------------------------------------------------


async def test_expire_due_expires_escalates_and_notifies(world: World) -> None:
    """After the expiry, the sweep expires the request, tells the thread and escalates."""
    approval = await world.request("deploy", service="api", env="prod")
    world.clock.advance(30 * 60 - 1)
    assert await world.ops.runs.expire_due() == 0
    world.clock.advance(1)
    assert await world.ops.runs.expire_due() == 1
    stored = await world.stored(approval.id)
    assert stored.state == "expired"
    assert world.notifier.notes == ["This request expired unapproved."]
    ((escalated, channel),) = world.notifier.escalations
    assert (escalated.id, escalated.state, channel) == (approval.id, "expired", "C_ESCALATE")
    assert world.audit.kinds(approval.id)[-2:] == ["expired", "escalated"]
    assert world.audit.rows[-1].details == {"channel": "C_ESCALATE"}
    assert await world.ops.runs.expire_due() == 0
    assert len(world.notifier.escalations) == 1


async def test_expire_without_an_escalation_channel_only_notifies(world: World) -> None:
    """An action with no escalation channel expires quietly in its own thread."""
    approval = await world.request("restart", service="api")
    world.clock.advance(3600)
    assert await world.ops.runs.expire_due() == 1
    assert (await world.stored(approval.id)).state == "expired"
    assert world.notifier.escalations == []
    assert "escalated" not in world.audit.kinds()


async def test_expire_due_leaves_decided_requests_alone(world: World) -> None:
    """Approved or cancelled requests do not expire."""
    approved = await world.request("deploy", service="api", env="prod")
    await world.vote(approved, BOB)
    cancelled = await world.request("deploy", service="web", env="prod")
    await world.vote(cancelled, ALICE, "cancel")
    world.clock.advance(3600)
    assert await world.ops.runs.expire_due() == 0
    assert (await world.stored(approved.id)).state == "approved"


# -- running ---------------------------------------------------------------------------------


async def _approved(world: World, action: str) -> Approval:
    raw = {"service": "api", "env": "prod"} if action == "deploy" else {"service": "api"}
    approval = await world.request(action, **raw)
    assert (await world.vote(approval, BOB)).refusal is None
    return approval


async def _crash_mid_execution(world: World, action: str) -> Approval:
    """Approve ``action`` and let worker-1 die while its executor is running."""
    approval = await _approved(world, action)
    world.executors[action].hang_first = True
    worker = asyncio.create_task(world.run("worker-1"))
    await asyncio.wait_for(world.executors[action].started.wait(), timeout=5)
    worker.cancel()
    with pytest.raises(asyncio.CancelledError):
        await worker
    assert (await world.stored(approval.id)).state == "executing"
    return approval


async def test_idle_worker_gets_none(world: World) -> None:
    """With nothing queued, run_next returns None."""
    assert await world.run() is None


async def test_a_live_lease_is_not_taken_over(world: World) -> None:
    """While the first worker's lease lasts, another worker finds nothing to do."""
    await _crash_mid_execution(world, "restart")
    world.clock.advance(LEASE.total_seconds() - 1)
    assert await world.run("worker-2") is None
    assert world.executors["restart"].runs == 1


async def test_recovered_non_idempotent_job_is_not_rerun(world: World) -> None:
    """After a crash mid-run, an action that is not idempotent ends unknown without a rerun."""
    approval = await _crash_mid_execution(world, "restart")
    world.clock.advance(LEASE.total_seconds() + 1)
    final = await world.run("worker-2")
    assert final is not None and final.state == "unknown"
    assert final.result is not None and "not safe to run twice" in final.result
    assert world.executors["restart"].runs == 1
    assert world.notifier.notes[-1] is not None and f"<@{ALICE}>" in world.notifier.notes[-1]
    assert [row.state for row in world.jobs.for_approval(approval.id)] == ["done"]
    assert world.audit.kinds(approval.id)[-1] == "unknown"
    assert await world.run("worker-3") is None


async def test_recovered_idempotent_job_is_rerun_with_the_same_key(world: World) -> None:
    """After a crash mid-run, an idempotent action runs again with the same idempotency key."""
    approval = await _crash_mid_execution(world, "deploy")
    world.clock.advance(LEASE.total_seconds() + 1)
    final = await world.run("worker-2")
    assert final is not None and final.state == "succeeded"
    executor = world.executors["deploy"]
    assert executor.runs == 2
    assert {r.idempotency_key for r in executor.requests} == {approval.idempotency_key}
    (job,) = world.jobs.for_approval(approval.id)
    assert (job.state, job.attempts, job.idempotency_key) == ("done", 2, approval.idempotency_key)


async def test_a_failed_rerun_after_a_crash_is_unknown(world: World) -> None:
    """Chaos seed 28: the run a crash cut off may have applied the action; a rerun the target
    refuses does not prove it did not, so the approval ends ``unknown`` and the requester is
    asked to check, never ``failed``."""
    approval = await _crash_mid_execution(world, "deploy")
    world.executors["deploy"].results = [ExecutionResult("failed", "HTTP 503 (attempt 3)")]
    world.clock.advance(LEASE.total_seconds() + 1)
    final = await world.run("worker-2")
    assert final is not None and final.state == "unknown"
    assert final.result is not None
    assert "may have happened" in final.result and "HTTP 503" in final.result
    assert world.executors["deploy"].runs == 2
    assert world.notifier.notes[-1] is not None and f"<@{ALICE}>" in world.notifier.notes[-1]
    assert world.audit.kinds(approval.id)[-1] == "unknown"


async def test_a_job_recovered_before_it_started_runs_normally(world: World) -> None:
    """A worker that died after claiming but before starting ran nothing: the next one runs it."""
    approval = await _approved(world, "restart")  # not idempotent, and still safe to run
    dead = await world.jobs.claim_next(owner="dead", now=world.clock.now(), lease=LEASE)
    assert dead is not None and not dead.recovered
    world.clock.advance(LEASE.total_seconds() + 1)
    final = await world.run("worker-2")
    assert final is not None and final.state == "succeeded"
    assert world.executors["restart"].runs == 1
    assert (await world.stored(approval.id)).state == "succeeded"


async def test_a_job_recovered_after_it_finished_is_not_rerun(world: World) -> None:
    """A worker that died after finishing but before completing the job: nothing runs again."""
    approval = await _approved(world, "deploy")
    assert (await world.run("worker-1")) is not None
    (row,) = world.jobs.for_approval(approval.id)
    row.state, row.lease_owner = "running", "worker-1"  # as if complete() never happened
    world.clock.advance(LEASE.total_seconds() + 1)
    final = await world.run("worker-2")
    assert final is not None and final.state == "succeeded"
    assert world.executors["deploy"].runs == 1
    assert [job.state for job in world.jobs.for_approval(approval.id)] == ["done"]


async def test_a_job_whose_action_was_removed_is_dropped(world: World) -> None:
    """After a config change removed the action, its job is completed without running."""
    approval = await _approved(world, "deploy")
    trimmed = build_operations(
        [a for a in ACTIONS if a.name != "deploy"],
        stores=OperationStores(approvals=world.approvals, jobs=world.jobs, audit=world.audit),
        groups=world.groups,
        executors=world.executors,
        targets=world.targets,
        notifier=world.notifier,
        clock=world.clock,
    )
    final = await trimmed.runs.run_next(owner="worker-1", lease=LEASE)
    assert final is not None and final.state == "approved"
    assert world.executors["deploy"].runs == 0
    assert [row.state for row in world.jobs.for_approval(approval.id)] == ["done"]
    vote = await trimmed.decisions.vote(
        approval.token, user_id=BOB, site=world.card(approval), kind="approve"
    )
    assert vote.refusal == "The action `deploy` is no longer configured."


async def test_executor_raising_ends_unknown(world: World) -> None:
    """An executor bug does not leave the job running: the approval ends unknown."""
    world.executors["deploy"].results = [RuntimeError("boom: token=s3cr3t")]
    approval = await _approved(world, "deploy")
    final = await world.run()
    assert final is not None and final.state == "unknown"
    assert final.result == "The executor failed: RuntimeError."
    assert [row.state for row in world.jobs.for_approval(approval.id)] == ["done"]
    assert "s3cr3t" not in str(world.audit.rows) + str(world.notifier.notes)


async def test_circuit_open_result_fails_with_its_summary(world: World) -> None:
    """A circuit-open refusal is a failure, with the executor's summary passed through."""
    summary = "deploy-api is failing; not called (circuit open for 30s)"
    world.executors["deploy"].results = [ExecutionResult("failed", summary, circuit_open=True)]
    approval = await _approved(world, "deploy")
    final = await world.run()
    assert final is not None
    assert (final.state, final.result) == ("failed", summary)
    assert world.notifier.notes[-1] is not None
    assert world.notifier.notes[-1].endswith(f"`deploy` failed: {summary}")
    entry = world.audit.rows[-1]
    assert (entry.kind, entry.details) == ("failed", {"result": summary})
    assert world.executors["deploy"].runs == 1
    assert (await world.stored(approval.id)).state == "failed"


async def test_executor_reporting_unknown_ends_unknown(world: World) -> None:
    """An executor's own unknown outcome (a timeout after sending) is kept as reported."""
    world.executors["deploy"].results = [ExecutionResult("unknown", "timed out after send")]
    await _approved(world, "deploy")
    final = await world.run()
    assert final is not None and (final.state, final.result) == ("unknown", "timed out after send")


async def test_missing_executor_fails_the_action(world: World) -> None:
    """An approved action with no executor wired fails instead of hanging."""
    del world.executors["deploy"]
    await _approved(world, "deploy")
    final = await world.run()
    assert final is not None
    assert (final.state, final.result) == ("failed", "No executor configured.")


async def test_jobs_run_oldest_first(world: World) -> None:
    """Two approved actions run in the order they were approved."""
    first = await _approved(world, "deploy")
    world.clock.advance(1)
    second = await _approved(world, "restart")
    ran = [await world.run(), await world.run()]
    assert [a.id for a in ran if a is not None] == [first.id, second.id]


# -- lookups ---------------------------------------------------------------------------------


async def test_runnable_by_lists_only_what_the_person_may_request(world: World) -> None:
    """Help listings hide actions the person may not ask for."""
    alice = await world.ops.catalog.person(ALICE, "C_OPS")
    bob = await world.ops.catalog.person(BOB, "C_OPS")
    assert "purge" not in [a.name for a in world.ops.catalog.runnable_by(alice)]
    assert "purge" in [a.name for a in world.ops.catalog.runnable_by(bob)]


async def test_person_carries_groups_from_the_directory(world: World) -> None:
    """Identity is the user id plus the groups the directory reports."""
    assert await world.ops.catalog.person(SRE, "C1") == Person(
        SRE, frozenset({"sre", "devs"}), "C1"
    )


def test_match_restricted_to_an_agent(world: World) -> None:
    """Matching text can be limited to one agent's actions."""
    found = world.ops.catalog.match("status api")
    assert found is not None and found.action.name == "status"
    assert world.ops.catalog.match("status api", agent="deploy") is None


async def test_a_secret_in_a_reject_reason_is_redacted_before_it_is_stored_or_shown(
    world: World,
) -> None:
    """The reason is stored, audited and shown in the thread: a key pasted into it is
    redacted everywhere, the words around it stay."""
    approval = await world.request("deploy", service="api", env="prod")
    key = "sk_live_" + "0123456789abcdefABCD"
    await world.vote(approval, CAROL, "reject", f"rotate {key} first")
    reason = "rotate [redacted:stripe-key] first"
    assert (await world.stored(approval.id)).reason == reason
    assert world.notifier.notes == [f"<@{CAROL}> rejected `deploy`: {reason}"]
    assert world.audit.rows[-1].details == {"reason": reason}
