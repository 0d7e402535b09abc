"""The approval state machine: every legal path, every refusal, and its invariants."""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Literal

import pytest

from agents.actions.approval import (
    TERMINAL_STATES,
    Approval,
    ApprovalEvent,
    ApprovalState,
    Approve,
    AutoApprove,
    Cancel,
    EditParams,
    Expire,
    Finish,
    Refusal,
    Reject,
    StartExecution,
    Withdraw,
    transition,
)
from agents.actions.canonical import CanonicalAction
from agents.actions.spec import ParamValue

T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
EXPIRES = T0 + timedelta(hours=1)
REQ = "U_REQ"


def _edit(editor: str, params: Mapping[str, ParamValue], *, action: str = "deploy") -> EditParams:
    """An edit to ``params``, with the canonical action an edit carries."""
    target = {"method": "POST", "url": f"https://deploy.example/{action}"}
    return EditParams(editor, CanonicalAction(action, "http", target, dict(params)))


def _approval(
    *, quorum: int = 1, self_approval: bool = False, state: ApprovalState = "pending"
) -> Approval:
    return Approval(
        id="a1",
        token="tok",
        action="deploy",
        params={"service": "api"},
        requester=REQ,
        team_id="T1",
        channel_id="C1",
        thread_ts="1.1",
        trace_id="trace-1",
        idempotency_key="idem-1",
        quorum=quorum,
        self_approval=self_approval,
        created_at=T0,
        expires_at=EXPIRES,
        state=state,
    )


def _at(minutes: float = 1) -> datetime:
    return T0 + timedelta(minutes=minutes)


def _ok(approval: Approval, event: ApprovalEvent, *, now: datetime | None = None) -> Approval:
    after = transition(approval, event, now=now or _at())
    assert isinstance(after, Approval), after
    return after


def _refused(approval: Approval, event: ApprovalEvent, *, now: datetime | None = None) -> str:
    after = transition(approval, event, now=now or _at())
    assert isinstance(after, Refusal), after
    return after.reason


def _in_state(state: ApprovalState, *, quorum: int = 1) -> Approval:
    """An approval driven to ``state`` through legal transitions."""
    a = _approval(quorum=quorum)
    if state == "pending":
        return a
    if state in {"rejected", "cancelled", "expired"}:
        ends: dict[str, ApprovalEvent] = {
            "rejected": Reject("U_A", "no"),
            "cancelled": Cancel(REQ),
            "expired": Expire(),
        }
        event = ends[state]
        return _ok(a, event, now=EXPIRES if state == "expired" else _at())
    for i in range(quorum):
        a = _ok(a, Approve(f"U_{i}"))
    if state == "approved":
        return a
    a = _ok(a, StartExecution())
    if state == "executing":
        return a
    return _ok(a, Finish(state, "result"))  # type: ignore[arg-type]


# -- approving -------------------------------------------------------------------------------


def test_one_approval_meets_quorum_one() -> None:
    """pending → approved with one vote when the quorum is 1; the voter decided."""
    after = _ok(_approval(), Approve("U_A"))
    assert after.state == "approved"
    assert after.approvals == ("U_A",)
    assert after.decided_by == "U_A"


def test_quorum_two_needs_two_distinct_voters() -> None:
    """The first vote is recorded and the request stays pending; the second approves it."""
    first = _ok(_approval(quorum=2), Approve("U_A"))
    assert (first.state, first.approvals, first.decided_by) == ("pending", ("U_A",), None)
    second = _ok(first, Approve("U_B"))
    assert (second.state, second.approvals, second.decided_by) == (
        "approved",
        ("U_A", "U_B"),
        "U_B",
    )


def test_the_same_voter_cannot_vote_twice() -> None:
    """A second approval by one voter is refused and does not count toward the quorum."""
    first = _ok(_approval(quorum=2), Approve("U_A"))
    assert _refused(first, Approve("U_A")) == "You already approved this request."


def test_requester_cannot_approve_without_self_approval() -> None:
    """The requester's own vote is refused when self-approval is off."""
    reason = _refused(_approval(), Approve(REQ))
    assert "someone else has to approve" in reason


def test_requester_can_approve_with_self_approval() -> None:
    """With self-approval on, the requester's vote counts like anyone's."""
    after = _ok(_approval(self_approval=True), Approve(REQ))
    assert (after.state, after.approvals) == ("approved", (REQ,))


def test_self_approval_counts_once_toward_a_larger_quorum() -> None:
    """A self-approving requester still needs another distinct voter for quorum 2."""
    first = _ok(_approval(quorum=2, self_approval=True), Approve(REQ))
    assert first.state == "pending"
    assert _refused(first, Approve(REQ)) == "You already approved this request."
    assert _ok(first, Approve("U_A")).state == "approved"


# -- rejecting, cancelling, expiring ---------------------------------------------------------


def test_reject_records_voter_and_reason() -> None:
    """pending → rejected, with who rejected and why."""
    after = _ok(_approval(), Reject("U_A", "not during the freeze"))
    assert (after.state, after.decided_by, after.reason) == (
        "rejected",
        "U_A",
        "not during the freeze",
    )


def test_an_approver_who_voted_may_still_reject() -> None:
    """A partial approval does not stop the same person rejecting afterwards."""
    first = _ok(_approval(quorum=2), Approve("U_A"))
    assert _ok(first, Reject("U_A", "changed my mind")).state == "rejected"


def test_requester_cannot_reject_without_self_approval() -> None:
    """The requester is told to cancel instead."""
    assert "cancel it instead" in _refused(_approval(), Reject(REQ, "oops"))


def test_requester_can_reject_with_self_approval() -> None:
    """With self-approval on, the requester may reject too."""
    assert _ok(_approval(self_approval=True), Reject(REQ, "oops")).state == "rejected"


def test_cancel_by_the_requester() -> None:
    """pending → cancelled when the requester withdraws it."""
    after = _ok(_approval(), Cancel(REQ))
    assert (after.state, after.decided_by) == ("cancelled", REQ)


def test_cancel_by_anyone_else_is_refused() -> None:
    """Nobody but the requester may cancel, approvers included."""
    assert _refused(_approval(), Cancel("U_A")) == "Only the requester can cancel this request."


def test_cancel_after_a_partial_approval() -> None:
    """The requester may cancel while votes are still being collected."""
    first = _ok(_approval(quorum=2), Approve("U_A"))
    assert _ok(first, Cancel(REQ)).state == "cancelled"


def test_a_removed_workspace_withdraws_pending_and_approved_requests() -> None:
    """The app removed from the workspace: pending and approved-not-running requests end
    cancelled with the reason, the approver's decision kept; a running one is left alone."""
    pending = _ok(_approval(), Withdraw("app_uninstalled"))
    assert (pending.state, pending.reason) == ("cancelled", "app_uninstalled")
    approved = _ok(_approval(), Approve("U_A"))
    after = _ok(approved, Withdraw("tokens_revoked"))
    assert (after.state, after.decided_by, after.reason) == ("cancelled", "U_A", "tokens_revoked")
    running = _ok(approved, StartExecution())
    assert _refused(running, Withdraw("app_uninstalled")) == "This action is already running."


def test_expire_before_expiry_is_refused() -> None:
    """A request does not expire a moment early."""
    reason = _refused(_approval(), Expire(), now=EXPIRES - timedelta(microseconds=1))
    assert reason == "This request has not expired yet."


def test_expire_at_or_after_expiry() -> None:
    """pending → expired at the expiry instant or any time later."""
    assert _ok(_approval(), Expire(), now=EXPIRES).state == "expired"
    assert _ok(_approval(), Expire(), now=EXPIRES + timedelta(days=3)).state == "expired"


@pytest.mark.parametrize(
    "event",
    [Approve("U_A"), Reject("U_A", "no"), Cancel(REQ), _edit("U_A", {"service": "web"})],
)
def test_any_decision_after_expiry_is_refused(event: ApprovalEvent) -> None:
    """Once the expiry passed, even before Expire is applied, nothing else applies."""
    assert _refused(_approval(), event, now=EXPIRES) == "This request expired."


def test_auto_approve_after_expiry_is_refused() -> None:
    """AutoApprove is no exception to the expiry."""
    assert _refused(_approval(quorum=0), AutoApprove(), now=EXPIRES) == "This request expired."


# -- editing ---------------------------------------------------------------------------------


def test_edit_replaces_params_resets_votes_and_counts_edits() -> None:
    """EditParams sets the new params, forgets the votes so far, and bumps ``edits``."""
    first = _ok(_approval(quorum=2), Approve("U_A"))
    edited = _ok(first, _edit("U_B", {"service": "web"}))
    assert edited.state == "pending"
    assert dict(edited.params) == {"service": "web"}
    assert edited.approvals == ()
    assert edited.edits == 1
    assert _ok(edited, _edit("U_B", {"service": "api"})).edits == 2


def test_edit_replaces_the_canonical_action_and_its_digest() -> None:
    """The edit's canonical action (its params the new values) becomes the request's."""
    edit = _edit("U_B", {"service": "web"})
    edited = _ok(_approval(), edit)
    assert edited.canonical == edit.canonical
    assert edited.digest == edit.canonical.digest


def test_an_edit_for_another_action_is_refused() -> None:
    """A canonical action of another action cannot replace this request's."""
    assert (
        _refused(_approval(), _edit("U_B", {"service": "web"}, action="rollback"))
        == "This edit is for another action."
    )


def test_a_vote_before_an_edit_must_be_given_again() -> None:
    """After an edit, the earlier voter may vote again and is needed again for the quorum."""
    first = _ok(_approval(quorum=2), Approve("U_A"))
    edited = _ok(first, _edit("U_B", {"service": "web"}))
    again = _ok(edited, Approve("U_A"))
    assert (again.state, again.approvals) == ("pending", ("U_A",))


def test_edit_copies_the_params() -> None:
    """The approval does not share the caller's mutable mapping."""
    params = {"service": "web"}
    edited = _ok(_approval(), _edit("U_A", params))
    params["service"] = "db"
    assert dict(edited.params) == {"service": "web"}


# -- executing -------------------------------------------------------------------------------


@pytest.mark.parametrize("outcome", ["succeeded", "failed", "unknown"])
def test_approved_executing_finished(outcome: str) -> None:
    """approved → executing → succeeded | failed | unknown, keeping the result text."""
    executing = _ok(_in_state("approved"), StartExecution())
    assert executing.state == "executing"
    done = _ok(executing, Finish(outcome, "exit 0"))  # type: ignore[arg-type]
    assert (done.state, done.result) == (outcome, "exit 0")


def test_start_execution_of_a_pending_request_is_refused() -> None:
    """Nothing runs before it is approved."""
    assert _refused(_approval(), StartExecution()) == "This request is not approved yet."


def test_start_execution_twice_is_refused() -> None:
    """A second start (another worker) is refused while it runs."""
    assert _refused(_in_state("executing"), StartExecution()) == "This action is already running."


@pytest.mark.parametrize("state", ["pending", "approved"])
def test_finish_when_not_running_is_refused(state: ApprovalState) -> None:
    """Only a running action can finish."""
    reason = _refused(_in_state(state), Finish("succeeded", "ok"))
    assert reason == "This action is not running."


@pytest.mark.parametrize(
    "event", [Approve("U_Z"), Reject("U_Z", "no"), Cancel(REQ), _edit("U_Z", {}), Expire()]
)
@pytest.mark.parametrize("state", ["approved", "executing"])
def test_approved_and_executing_take_no_decisions(
    state: ApprovalState, event: ApprovalEvent
) -> None:
    """Once approved, votes, edits, cancelling and expiry no longer apply."""
    _refused(_in_state(state), event, now=EXPIRES + timedelta(hours=1))


# -- auto-approval ---------------------------------------------------------------------------


def test_auto_approve_with_quorum_zero() -> None:
    """A request created with quorum 0 is approved by policy, with no votes."""
    after = _ok(_approval(quorum=0), AutoApprove())
    assert (after.state, after.decided_by, after.approvals) == ("approved", "policy", ())


@pytest.mark.parametrize("quorum", [1, 2, 3])
def test_auto_approve_needs_quorum_zero(quorum: int) -> None:
    """A request that needs a human is never approved by AutoApprove."""
    assert (
        _refused(_approval(quorum=quorum), AutoApprove()) == "This request needs a human approval."
    )


# -- terminal states and versions ------------------------------------------------------------

_ALL_EVENTS: list[ApprovalEvent] = [
    AutoApprove(),
    Approve("U_Z"),
    Approve(REQ),
    Reject("U_Z", "no"),
    _edit("U_Z", {"service": "web"}),
    Cancel(REQ),
    Expire(),
    StartExecution(),
    Finish("succeeded", "ok"),
    Finish("failed", "bad"),
    Finish("unknown", "?"),
]


@pytest.mark.parametrize("event", _ALL_EVENTS, ids=repr)
@pytest.mark.parametrize("state", sorted(TERMINAL_STATES))
def test_every_event_on_a_terminal_state_is_refused(
    state: ApprovalState, event: ApprovalEvent
) -> None:
    """Terminal states absorb: nothing applies to them, whenever it comes."""
    terminal = _in_state(state)
    for now in (_at(), EXPIRES, EXPIRES + timedelta(days=1)):
        _refused(terminal, event, now=now)


def test_terminal_states_are_exactly_the_end_states() -> None:
    """pending, approved and executing are the only states that can still change."""
    assert set(TERMINAL_STATES) == {
        "succeeded",
        "failed",
        "unknown",
        "rejected",
        "expired",
        "cancelled",
    }


def test_version_increments_by_one_per_applied_transition() -> None:
    """Each applied transition adds exactly one to ``version`` and stamps ``updated_at``."""
    a = _approval(quorum=2)
    steps: list[tuple[ApprovalEvent, datetime]] = [
        (Approve("U_A"), _at(1)),
        (_edit("U_B", {"service": "web"}), _at(2)),
        (Approve("U_A"), _at(3)),
        (Approve("U_B"), _at(4)),
        (StartExecution(), _at(5)),
        (Finish("succeeded", "ok"), _at(6)),
    ]
    for number, (event, now) in enumerate(steps, start=1):
        a = _ok(a, event, now=now)
        assert (a.version, a.updated_at) == (number, now)
    assert a.state == "succeeded"


def test_a_refusal_changes_nothing() -> None:
    """A refused event leaves the approval as it was (same object, same version)."""
    a = _ok(_approval(quorum=2), Approve("U_A"))
    for event in (Approve("U_A"), Approve(REQ), Cancel("U_B"), StartExecution(), Expire()):
        assert isinstance(transition(a, event, now=_at()), Refusal)
    assert a.version == 1
    assert a.approvals == ("U_A",)


# -- property-style: random event sequences --------------------------------------------------

_PEOPLE = (REQ, "U_A", "U_B", "U_C")
_LEGAL_EDGES: set[tuple[ApprovalState, ApprovalState]] = {
    ("pending", "pending"),
    ("pending", "approved"),
    ("pending", "rejected"),
    ("pending", "cancelled"),
    ("pending", "expired"),
    ("approved", "executing"),
    ("executing", "succeeded"),
    ("executing", "failed"),
    ("executing", "unknown"),
}


def _rng(seed: int) -> random.Random:
    """A seeded generator: every run replays the same histories."""
    return random.Random(seed)  # noqa: S311 - reproducible test data, not secrets


def _random_event(rng: random.Random) -> ApprovalEvent:
    person = rng.choice(_PEOPLE)
    outcome: Literal["succeeded", "failed", "unknown"] = rng.choice(
        ["succeeded", "failed", "unknown"]
    )
    events: list[ApprovalEvent] = [
        AutoApprove(),
        Approve(person),
        Approve(person),
        Approve(person),
        Reject(person, "no"),
        _edit(person, {"service": rng.choice(["api", "web"])}),
        Cancel(person),
        Expire(),
        StartExecution(),
        StartExecution(),
        Finish(outcome, "r"),
    ]
    return rng.choice(events)


@pytest.mark.parametrize("seed", range(40))
def test_invariants_hold_for_random_event_sequences(seed: int) -> None:
    """Over random histories: terminal states absorb, votes are distinct and never the
    requester's without self-approval, approval implies a met quorum, versions count applied
    transitions, and votes match a reference model (reset by edits)."""
    rng = _rng(seed)
    for _ in range(50):
        quorum = rng.choice([0, 1, 1, 2, 2, 3])
        current = _approval(quorum=quorum, self_approval=rng.random() < 0.3)
        now = T0
        votes: list[str] = []  # the reference model's votes in this round
        applied = edits = 0
        was_approved = False
        for _ in range(rng.randint(1, 25)):
            now += timedelta(minutes=rng.choice([0, 1, 5, 20]))
            event = _random_event(rng)
            after = transition(current, event, now=now)
            if isinstance(after, Refusal):
                assert after.reason
                if current.state in TERMINAL_STATES:
                    continue
                if isinstance(event, Approve) and current.state == "pending":
                    refusal_expected = (
                        now >= current.expires_at
                        or event.voter in votes
                        or (event.voter == REQ and not current.self_approval)
                    )
                    assert refusal_expected, (seed, event, current)
                continue
            assert current.state not in TERMINAL_STATES, (seed, event, current.state)
            assert (current.state, after.state) in _LEGAL_EDGES, (seed, event)
            applied += 1
            assert after.version == current.version + 1 == applied
            assert after.updated_at == now
            if isinstance(event, EditParams):
                votes.clear()
                edits += 1
            if isinstance(event, Approve):
                votes.append(event.voter)
            assert list(after.approvals) == votes
            assert after.edits == edits
            assert len(set(after.approvals)) == len(after.approvals)
            if not after.self_approval:
                assert REQ not in after.approvals
            if after.state == "pending":
                assert len(after.approvals) < max(after.quorum, 1)
            if after.state == "approved" and current.state == "pending":
                was_approved = True
                if isinstance(event, AutoApprove):
                    assert after.quorum == 0 and after.decided_by == "policy"
                else:
                    assert len(after.approvals) >= after.quorum
            if after.state in {"approved", "executing", "succeeded", "failed", "unknown"}:
                assert was_approved
                assert after.quorum == 0 or len(after.approvals) >= after.quorum
            current = after


@pytest.mark.parametrize("seed", range(10))
def test_random_events_on_terminal_states_are_always_refused(seed: int) -> None:
    """Whatever arrives, at whatever time, a terminal approval stays as it is."""
    rng = _rng(seed)
    for state in sorted(TERMINAL_STATES):
        terminal = _in_state(state, quorum=rng.choice([1, 2]))
        for _ in range(100):
            when = T0 + timedelta(minutes=rng.randint(0, 24 * 60))
            assert isinstance(transition(terminal, _random_event(rng), now=when), Refusal)


def test_states_are_closed_under_transition() -> None:
    """A transition never produces a state outside the declared ones."""
    rng = _rng(7)
    declared = {*TERMINAL_STATES, "pending", "approved", "executing"}
    a = _approval(quorum=1)
    for _ in range(500):
        after = transition(a, _random_event(rng), now=_at(rng.randint(0, 90)))
        if isinstance(after, Approval):
            assert after.state in declared
            a = after if after.state not in TERMINAL_STATES else _approval(quorum=1)
