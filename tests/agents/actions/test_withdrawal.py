"""A workspace removed the app: its requests not yet running end cancelled (audited with the
reason) and the worker runs none of them; a click from another workspace counts for
nothing."""

from __future__ import annotations

from dataclasses import replace

from agents.actions.decisions import MISPLACED_BUTTON
from tests.agents.actions.test_operations import BOB, World, world

__all__ = ["world"]  # the fixture, shared with the operations tests


async def test_withdrawing_a_workspace_cancels_pending_and_approved_requests(
    world: World,
) -> None:
    """A pending and an approved-but-not-run request both end cancelled with the reason; the
    approved one's job is claimed and refused, so its executor never runs."""
    waiting = await world.request("deploy", service="api", env="prod")
    approved = await world.request("deploy", service="web", env="prod")
    assert (await world.vote(approved, BOB)).refusal is None
    ended = await world.ops.runs.withdraw_workspace("T1", reason="app_uninstalled")
    assert ended == 2
    for request in (waiting, approved):
        stored = await world.stored(request.id)
        assert (stored.state, stored.reason) == ("cancelled", "app_uninstalled")
        assert world.audit.kinds(request.id)[-1] == "cancelled"
    assert dict(world.audit.rows[-1].details) == {"reason": "app_uninstalled"}
    await world.run()
    assert world.executors["deploy"].runs == 0
    assert await world.ops.runs.withdraw_workspace("T1", reason="app_uninstalled") == 0


async def test_another_workspace_is_untouched(world: World) -> None:
    """Withdrawing T2 leaves T1's request pending."""
    waiting = await world.request("deploy", service="api", env="prod")
    assert await world.ops.runs.withdraw_workspace("T2", reason="tokens_revoked") == 0
    assert (await world.stored(waiting.id)).state == "pending"


async def test_a_click_from_another_workspace_counts_for_nothing(world: World) -> None:
    """Bob clicks Approve on the card, but from workspace T2: refused as misplaced and
    audited with the reason; the request stays pending."""
    approval = await world.request("deploy", service="api", env="prod")
    site = replace(world.card(approval), team_id="T2")
    outcome = await world.ops.decisions.vote(
        approval.token, user_id=BOB, site=site, kind="approve", reason=None
    )
    assert outcome.refusal == MISPLACED_BUTTON
    assert (await world.stored(approval.id)).state == "pending"
    refused = world.audit.rows[-1]
    assert (refused.kind, refused.details["why"]) == ("refused", "another workspace")
