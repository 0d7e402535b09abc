"""Policy: who may request an action, whether it needs approval, and who may approve it."""

from __future__ import annotations

import pytest

from agents.actions.policy import (
    Auto,
    Denied,
    NeedsApproval,
    Person,
    decide,
    is_approver,
    may_approve,
    may_request,
)
from agents.actions.spec import ActionSpec, ApprovalPolicy, Audience, ExecutorInfo, Risk

_APPROVERS = Audience(users=frozenset({"U_BOB"}), groups=frozenset({"sre"}))


def _action(
    *,
    risk: Risk = "write",
    requesters: Audience | None = None,
    required: bool = True,
    approvers: Audience = _APPROVERS,
    self_approval: bool = False,
) -> ActionSpec:
    return ActionSpec(
        name="deploy",
        agent="deploy",
        description="Deploy a service",
        risk=risk,
        executor=ExecutorInfo("http", "deploy-api"),
        requesters=requesters or Audience(),
        approval=ApprovalPolicy(
            required=required, approvers=approvers, allow_self_approval=self_approval
        ),
    )


def _person(user: str = "U_ALICE", *groups: str, channel: str | None = "C_OPS") -> Person:
    return Person(user, frozenset(groups), channel)


# -- may_request -----------------------------------------------------------------------------


def test_empty_requesters_means_anyone_anywhere() -> None:
    """With no requesters named, any user in any channel (or none) may ask."""
    action = _action()
    assert may_request(action, _person("U_ANYONE"))
    assert may_request(action, _person("U_ANYONE", channel=None))


def test_requesters_by_user_id() -> None:
    """Only the named users may ask."""
    action = _action(requesters=Audience(users=frozenset({"U_ALICE"})))
    assert may_request(action, _person("U_ALICE"))
    assert not may_request(action, _person("U_MALLORY"))


def test_requesters_by_group_membership() -> None:
    """A member of a named group may ask; a member of another group may not."""
    action = _action(requesters=Audience(groups=frozenset({"devs"})))
    assert may_request(action, _person("U_ANY", "devs", "other"))
    assert not may_request(action, _person("U_ANY", "other"))
    assert not may_request(action, _person("U_ANY"))


def test_requesters_by_users_or_groups() -> None:
    """Named users and named groups add up: being in either is enough."""
    action = _action(requesters=Audience(users=frozenset({"U_ALICE"}), groups=frozenset({"devs"})))
    assert may_request(action, _person("U_ALICE"))
    assert may_request(action, _person("U_CAROL", "devs"))
    assert not may_request(action, _person("U_CAROL"))


def test_requesters_by_channel_only() -> None:
    """With only channels named, anyone may ask, but only from those channels."""
    action = _action(requesters=Audience(channels=frozenset({"C_OPS"})))
    assert may_request(action, _person("U_ANYONE", channel="C_OPS"))
    assert not may_request(action, _person("U_ANYONE", channel="C_RANDOM"))
    assert not may_request(action, _person("U_ANYONE", channel=None))


def test_requesters_people_and_channels_must_both_hold() -> None:
    """Named users and channels: the right person in the wrong channel is refused, and so on."""
    action = _action(
        requesters=Audience(users=frozenset({"U_ALICE"}), channels=frozenset({"C_OPS"}))
    )
    assert may_request(action, _person("U_ALICE", channel="C_OPS"))
    assert not may_request(action, _person("U_ALICE", channel="C_RANDOM"))
    assert not may_request(action, _person("U_MALLORY", channel="C_OPS"))


def test_requesters_are_matched_by_user_id_not_display_name() -> None:
    """A display name equal to a listed name means nothing; only the user id counts."""
    action = _action(requesters=Audience(users=frozenset({"U_ALICE"})))
    assert not may_request(action, _person("alice"))
    assert not may_request(action, _person("u_alice"))


# -- decide ----------------------------------------------------------------------------------


def test_decide_denies_a_person_who_may_not_request() -> None:
    """Denied, with a reason naming the action."""
    action = _action(requesters=Audience(users=frozenset({"U_ALICE"})))
    decision = decide(action, _person("U_MALLORY"))
    assert isinstance(decision, Denied)
    assert "not allowed to run `deploy`" in decision.reason


def test_decide_write_with_approval_needs_approval() -> None:
    """A write action with an approval policy needs its approvers, carrying the policy."""
    action = _action(risk="write")
    decision = decide(action, _person())
    assert decision == NeedsApproval(action.approval)


def test_decide_write_without_required_approval_runs_at_once() -> None:
    """A write action whose policy says required=False is Auto."""
    assert decide(_action(risk="write", required=False), _person()) == Auto()


def test_decide_read_without_required_approval_runs_at_once() -> None:
    """A read action with required=False is Auto, even without approvers."""
    action = _action(risk="read", required=False, approvers=Audience())
    assert decide(action, _person()) == Auto()


def test_decide_dangerous_needs_approval_even_if_policy_says_not_required() -> None:
    """required=False does not let a dangerous action run without approval."""
    action = _action(risk="dangerous", required=False)
    assert isinstance(decide(action, _person()), NeedsApproval)


@pytest.mark.parametrize("risk", ["write", "dangerous"])
def test_decide_denies_when_approval_is_needed_but_nobody_can_give_it(risk: Risk) -> None:
    """No approver users or groups: Denied (never silently Auto)."""
    decision = decide(_action(risk=risk, approvers=Audience()), _person())
    assert isinstance(decision, Denied)
    assert "no approvers configured" in decision.reason


def test_decide_approver_channels_alone_are_not_approvers() -> None:
    """An approver audience with only channels names nobody who could approve."""
    action = _action(approvers=Audience(channels=frozenset({"C_OPS"})))
    assert isinstance(decide(action, _person()), Denied)


def test_decide_checks_the_requester_before_anything_else() -> None:
    """A person who may not request is Denied even for an action that would be Auto."""
    action = _action(risk="read", required=False, requesters=Audience(users=frozenset({"U_ALICE"})))
    assert isinstance(decide(action, _person("U_MALLORY")), Denied)


# -- is_approver / may_approve ---------------------------------------------------------------


def test_is_approver_by_user_id_or_group() -> None:
    """A listed user id, or membership of a listed group, makes an approver."""
    action = _action()
    assert is_approver(action, _person("U_BOB"))
    assert is_approver(action, _person("U_CAROL", "sre"))
    assert not is_approver(action, _person("U_CAROL", "devs"))


def test_may_approve_refuses_a_non_approver() -> None:
    """A person who is not an approver gets a reason naming the action."""
    reason = may_approve(_action(), _person("U_MALLORY"), requester="U_ALICE")
    assert reason == "You are not an approver for `deploy`."


def test_may_approve_lets_an_approver_approve_someone_elses_request() -> None:
    """An approver may vote on another person's request (None means allowed)."""
    assert may_approve(_action(), _person("U_BOB"), requester="U_ALICE") is None


def test_may_approve_counts_group_membership() -> None:
    """Membership of an approver group is enough."""
    assert may_approve(_action(), _person("U_CAROL", "sre"), requester="U_ALICE") is None


def test_may_approve_refuses_the_requester_without_self_approval() -> None:
    """An approver who asked for the action may not approve it themselves."""
    reason = may_approve(_action(), _person("U_BOB"), requester="U_BOB")
    assert reason is not None and "someone else has to approve" in reason


def test_may_approve_allows_the_requester_with_self_approval() -> None:
    """With allow_self_approval, an approver may approve their own write request."""
    action = _action(self_approval=True)
    assert may_approve(action, _person("U_BOB"), requester="U_BOB") is None


def test_may_approve_never_allows_self_approval_of_dangerous_actions() -> None:
    """allow_self_approval is ignored for dangerous actions."""
    action = _action(risk="dangerous", self_approval=True)
    reason = may_approve(action, _person("U_BOB"), requester="U_BOB")
    assert reason is not None and "someone else" in reason
    assert may_approve(action, _person("U_CAROL", "sre"), requester="U_BOB") is None


def test_self_approval_does_not_make_the_requester_an_approver() -> None:
    """allow_self_approval only matters for people who are approvers anyway."""
    action = _action(self_approval=True)
    reason = may_approve(action, _person("U_ALICE"), requester="U_ALICE")
    assert reason == "You are not an approver for `deploy`."


@pytest.mark.parametrize("impostor", ["bob", "Bob", "@bob", "U_bob", "u_bob", "<@U_BOB>"])
def test_may_approve_ignores_display_names(impostor: str) -> None:
    """Only the exact user id counts: look-alike names of an approver are refused."""
    assert may_approve(_action(), _person(impostor), requester="U_ALICE") is not None


def test_may_approve_ignores_group_names_given_as_user_ids() -> None:
    """A user whose id is a group's handle is not a member of that group."""
    assert may_approve(_action(), _person("sre"), requester="U_ALICE") is not None


def test_approver_channels_do_not_restrict_or_grant() -> None:
    """Where the approver clicks does not matter for may_approve."""
    action = _action()
    assert may_approve(action, _person("U_BOB", channel="C_ELSEWHERE"), requester="U_A") is None
    assert may_approve(action, _person("U_BOB", channel=None), requester="U_A") is None
