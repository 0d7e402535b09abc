"""Consent integrity over in-memory ports: a click counts only on its own request's card, and
an approved action runs only as it was approved (its digest checked right before the run)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from structlog.testing import capture_logs

from agents.actions.approval import Approval
from agents.actions.decisions import MISPLACED_BUTTON, ClickSite
from tests.agents.actions.test_operations import (
    ALICE,
    BOB,
    CAROL,
    LEASE,
    World,
    _crash_mid_execution,
)


@pytest.fixture
def world() -> World:
    return World()


# -- a click bound to its card ---------------------------------------------------------------


async def _uncarded(world: World, action: str, **raw: str) -> Approval:
    """A request whose card was posted but whose ts is not recorded yet."""
    reply = await world.propose(action, ALICE, **raw)
    assert reply.approval_id is not None
    return await world.stored(reply.approval_id)


@pytest.mark.parametrize("b_recorded", [True, False], ids=["b-recorded", "b-not-yet-recorded"])
async def test_a_token_clicked_on_another_requests_card_counts_for_neither(
    world: World, b_recorded: bool
) -> None:
    """The stand-in's finding: Approve clicked on card A (deploy api prod) with card B's token
    (a quorum-two rollback) is refused; B gets no vote, A none; the refusal is audited on B
    and logged without the payload. Whether B's card ts is recorded yet (a person can click
    within milliseconds of the card appearing) changes nothing, not even the audited why."""
    card_a = await world.request("deploy", service="api", env="prod")
    if b_recorded:
        request_b = await world.request("rollback", service="web")
    else:
        request_b = await _uncarded(world, "rollback", service="web")
    with capture_logs() as logs:
        outcome = await world.ops.decisions.vote(
            request_b.token, user_id=BOB, site=world.card(card_a), kind="approve"
        )
    assert outcome.refusal == MISPLACED_BUTTON
    assert outcome.approval is None  # nothing about B is handed back to the clicker
    assert await world.stored(request_b.id) == request_b
    assert await world.stored(card_a.id) == card_a
    entry = world.audit.rows[-1]
    assert (entry.kind, entry.actor, entry.approval_id) == ("refused", BOB, request_b.id)
    assert entry.details == {
        "attempted": "approve",
        "reason": MISPLACED_BUTTON,
        "why": "another request's card",
        "clicked_channel": "C_OPS",
        "clicked_ts": f"card-{card_a.id}",
    }
    (warning,) = [log for log in logs if log["event"] == "approval_click_misplaced"]
    assert warning["log_level"] == "warning"
    assert request_b.token not in str(logs)
    # B's own card still takes the vote, and one more is still needed.
    counted = await world.ops.decisions.vote(
        request_b.token, user_id=BOB, site=world.card(request_b), kind="approve"
    )
    assert counted.refusal is None and counted.approval is not None
    assert (counted.approval.state, counted.approval.approvals) == ("pending", (BOB,))


@pytest.mark.parametrize(
    ("site", "why"),
    [
        (ClickSite("C_OTHER", "card-{id}"), "another channel"),
        (ClickSite(None, None), "another channel"),
        (ClickSite("C_OPS", None), "no message"),
        (ClickSite("C_OPS", "999.9"), "another message"),
    ],
)
async def test_a_click_anywhere_but_the_card_is_refused(
    world: World, site: ClickSite, why: str
) -> None:
    """Another channel, a view (no channel), no message or another message: nothing counts,
    for a vote, a reject, an edit or opening a form."""
    approval = await world.request("deploy", service="api", env="prod")
    site = replace(site, message_ts=(site.message_ts or "").format(id=approval.id) or None)
    decisions = world.ops.decisions
    outcomes = [
        await decisions.vote(approval.token, user_id=BOB, site=site, kind="approve"),
        await decisions.vote(approval.token, user_id=BOB, site=site, kind="reject", reason="x"),
        await decisions.edit(approval.token, user_id=BOB, site=site, raw={"env": "staging"}),
        await decisions.may_decide(approval.token, user_id=BOB, site=site, attempted="reject"),
    ]
    assert [o.refusal for o in outcomes] == [MISPLACED_BUTTON] * 4
    assert await world.stored(approval.id) == approval
    assert [e.details["why"] for e in world.audit.rows if e.kind == "refused"] == [why] * 4
    assert [e.details["attempted"] for e in world.audit.rows if e.kind == "refused"] == [
        "approve",
        "reject",
        "edit",
        "reject",
    ]


async def test_before_the_cards_ts_is_recorded_a_click_in_its_channel_counts(world: World) -> None:
    """Between the post and its record (or after a crash between them) the card's ts is not
    known: a click in the request's channel counts, on a message no other card holds."""
    approval = await _uncarded(world, "deploy", service="api", env="prod")
    outcome = await world.ops.decisions.vote(
        approval.token, user_id=BOB, site=ClickSite("C_OPS", "123.4"), kind="approve"
    )
    assert outcome.refusal is None and outcome.approval is not None
    assert outcome.approval.state == "approved"


async def test_an_edit_on_its_own_card_counts(world: World) -> None:
    """Binding does not get in the way of a legitimate edit."""
    approval = await world.request("deploy", service="api", env="prod")
    outcome = await world.edit(approval, BOB, service="api", env="staging")
    assert outcome.refusal is None
    assert dict((await world.stored(approval.id)).params) == {"service": "api", "env": "staging"}


# -- the digest checked before the run -------------------------------------------------------


async def test_an_action_changed_after_its_approval_is_not_run(world: World) -> None:
    """The config moved deploy's URL between the approval and the run: the executor is not
    called; the request ends failed with both digests; the thread is told (and, at the edge,
    the alerts channel); an error is logged."""
    approval = await world.request("deploy", service="api", env="prod")
    assert (await world.vote(approval, BOB)).refusal is None
    approved_digest = approval.digest
    assert approved_digest is not None
    world.targets.urls["deploy"] = "https://evil.example/deploy"
    with capture_logs() as logs:
        final = await world.run()
    assert final is not None and final.state == "failed"
    assert world.executors["deploy"].runs == 0
    assert final.result is not None
    assert final.result.startswith(
        f"The action changed after it was approved (its url changed; digest "
        f"{approved_digest[:12]}, now "
    )
    assert final.result.endswith("); it was not run. Request it again.")
    assert world.audit.kinds()[-2:] == ["started", "failed"]
    failed = world.audit.rows[-1]
    assert failed.details["approved-digest"] == approved_digest
    assert failed.details["current-digest"] not in {approved_digest, ""}
    assert failed.details["changed"] == "its url changed"
    assert failed.details["result"] == final.result
    _, news = world.notifier.changes[-1]
    assert news is not None and news.kind == "action_changed"
    assert world.notifier.notes[-1] == (
        f":warning: <@{ALICE}> `deploy` was not run: {final.result}"
    )
    (error,) = [log for log in logs if log["event"] == "approval_digest_mismatch"]
    assert error["log_level"] == "error"
    assert (error["approved_digest"], error["approval_id"]) == (approved_digest, approval.id)
    assert [row.state for row in world.jobs.for_approval(approval.id)] == ["done"]


async def test_a_changed_action_is_not_rerun_after_a_crash_either(world: World) -> None:
    """An idempotent job recovered mid-run is checked again before it is run again; refused,
    it ends unknown (the interrupted run may have acted), never failed."""
    approval = await _crash_mid_execution(world, "deploy")
    world.targets.urls["deploy"] = "https://evil.example/deploy"
    world.clock.advance(LEASE.total_seconds() + 1)
    final = await world.run("worker-2")
    assert final is not None and final.state == "unknown"
    assert final.result is not None and "may have happened" in final.result
    assert world.executors["deploy"].runs == 1  # the interrupted run only
    assert world.audit.kinds(approval.id)[-1] == "unknown"


async def test_an_unchanged_action_runs_with_the_approved_params(world: World) -> None:
    """Same config, same params: the digest matches and the executor runs once."""
    approval = await world.request("deploy", service="api", env="prod")
    await world.vote(approval, BOB)
    final = await world.run()
    assert final is not None and final.state == "succeeded"
    assert world.executors["deploy"].runs == 1


async def test_params_changed_behind_the_digests_back_are_not_run(world: World) -> None:
    """Stored params that no longer match the consented canonical action (written around
    the domain) do not run: the digest is recomputed from the params that would be sent."""
    approval = await world.request("deploy", service="api", env="prod")
    await world.vote(approval, BOB)
    stored = await world.stored(approval.id)
    world.approvals.rows[approval.id] = replace(stored, params={"service": "api", "env": "staging"})
    final = await world.run()
    assert final is not None and final.state == "failed"
    assert world.executors["deploy"].runs == 0


async def test_a_request_from_before_digests_runs_unchecked_with_a_warning(world: World) -> None:
    """A request stored before 0013 has no canonical action: it runs as approved (its
    approvers saw no digest to compare), and the log says it was not checked."""
    approval = await world.request("deploy", service="api", env="prod")
    await world.vote(approval, BOB)
    stored = await world.stored(approval.id)
    world.approvals.rows[approval.id] = replace(stored, canonical=None)
    world.targets.urls["deploy"] = "https://elsewhere.example/deploy"
    with capture_logs() as logs:
        final = await world.run()
    assert final is not None and final.state == "succeeded"
    assert world.executors["deploy"].runs == 1
    (warning,) = [log for log in logs if log["event"] == "approval_digest_absent"]
    assert (warning["log_level"], warning["approval_id"]) == ("warning", approval.id)


async def test_an_edit_on_a_request_from_before_digests_gives_it_one(world: World) -> None:
    """Editing an old request computes its canonical action; the thread shows the change
    without a digest line (there was no digest before)."""
    approval = await world.request("deploy", service="api", env="prod")
    world.approvals.rows[approval.id] = replace(approval, canonical=None)
    outcome = await world.edit(approval, CAROL, service="api", env="staging")
    assert outcome.refusal is None
    stored = await world.stored(approval.id)
    assert stored.canonical is not None and stored.digest is not None
    assert world.notifier.notes[-1] == (
        f"<@{CAROL}> changed the parameters; approvals so far were reset.\n"
        "• *env*: `prod` → `staging`"
    )
    assert "previous-action-digest" not in world.audit.rows[-1].details
