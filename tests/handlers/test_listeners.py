"""Listeners called alone, without Bolt: one call into the domain, refusals told privately."""

from __future__ import annotations

from typing import Any

from agents.actions.approval import Approval
from handlers.approval_blocks import button_value
from handlers.approval_modals import REASON_BLOCK, REASON_INPUT, modal_metadata
from handlers.approvals import ApprovalListeners
from tests.agents.actions.test_operations import ALICE, BOB, MALLORY, World


class _Client:
    """The Web API calls a listener makes, recorded."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    async def chat_postEphemeral(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(("chat.postEphemeral", kwargs))
        return {"ok": True}

    async def views_open(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(("views.open", kwargs))
        return {"ok": True}


class _Ack:
    def __init__(self) -> None:
        self.count = 0

    async def __call__(self, **kwargs: Any) -> None:
        self.count += 1


def _click(user: str, approval: Approval, *, on: Approval | None = None) -> dict[str, Any]:
    """``user`` clicks a button carrying ``approval``'s value, on ``on``'s card (by default
    ``approval``'s own)."""
    card = on or approval
    return {
        "user": {"id": user},
        "channel": {"id": "C_OPS"},
        "container": {"type": "message", "channel_id": "C_OPS", "message_ts": f"card-{card.id}"},
        "actions": [{"action_id": "approval_approve", "value": button_value(approval)}],
        "trigger_id": "trig",
    }


async def test_an_approvers_click_approves_and_shows_nothing_to_them() -> None:
    """Bob approves Alice's request: the vote counts, no ephemeral message."""
    world, client, ack = World(), _Client(), _Ack()
    approval = await world.request("deploy", service="api", env="prod")
    listeners = ApprovalListeners(world.ops.decisions, catalog=world.ops.catalog)
    await listeners.on_approve(ack, _click(BOB, approval), client)  # type: ignore[arg-type]
    assert ack.count == 1 and client.calls == []
    assert (await world.stored(approval.id)).state == "approved"


async def test_a_refused_click_is_explained_to_the_clicker_only() -> None:
    """Mallory may not approve: she alone is told why, and the request is unchanged."""
    world, client, ack = World(), _Client(), _Ack()
    approval = await world.request("deploy", service="api", env="prod")
    listeners = ApprovalListeners(world.ops.decisions, catalog=world.ops.catalog)
    await listeners.on_approve(ack, _click(MALLORY, approval), client)  # type: ignore[arg-type]
    ((method, args),) = client.calls
    assert method == "chat.postEphemeral" and args["user"] == MALLORY
    assert "not an approver" in args["text"]
    assert (await world.stored(approval.id)).state == "pending"


async def test_the_reject_button_opens_the_form_for_an_approver_only() -> None:
    """An approver gets the reason form; the requester is told they cannot decide."""
    world = World()
    approval = await world.request("deploy", service="api", env="prod")
    listeners = ApprovalListeners(world.ops.decisions, catalog=world.ops.catalog)
    bob, alice = _Client(), _Client()
    await listeners.on_reject(_Ack(), _click(BOB, approval), bob)  # type: ignore[arg-type]
    await listeners.on_reject(_Ack(), _click(ALICE, approval), alice)  # type: ignore[arg-type]
    assert [method for method, _ in bob.calls] == ["views.open"]
    assert [method for method, _ in alice.calls] == ["chat.postEphemeral"]


async def test_the_rejection_form_rejects_with_the_reason_typed() -> None:
    """The submitted form's reason is read from its state and stored on the request."""
    world, client = World(), _Client()
    approval = await world.request("deploy", service="api", env="prod")
    listeners = ApprovalListeners(world.ops.decisions, catalog=world.ops.catalog)
    body = {
        "user": {"id": BOB},
        "view": {
            "private_metadata": modal_metadata(approval.token, "C_OPS", f"card-{approval.id}"),
            "state": {"values": {REASON_BLOCK: {REASON_INPUT: {"value": "not on a Friday"}}}},
        },
    }
    await listeners.on_reject_submitted(_Ack(), body, client)  # type: ignore[arg-type]
    stored = await world.stored(approval.id)
    assert (stored.state, stored.reason) == ("rejected", "not on a Friday")
    assert client.calls == []


async def test_a_button_clicked_on_another_requests_card_is_refused() -> None:
    """A click on card A carrying B's token counts for neither: the clicker is told the
    button does not belong to the request on the card, and B has no vote."""
    world, client, ack = World(), _Client(), _Ack()
    card_a = await world.request("deploy", service="api", env="prod")
    request_b = await world.request("rollback", service="web")
    listeners = ApprovalListeners(world.ops.decisions, catalog=world.ops.catalog)
    await listeners.on_approve(ack, _click(BOB, request_b, on=card_a), client)  # type: ignore[arg-type]
    ((method, args),) = client.calls
    assert (method, args["user"]) == ("chat.postEphemeral", BOB)
    assert "does not belong to the request on this card" in args["text"]
    assert await world.stored(request_b.id) == request_b
    assert await world.stored(card_a.id) == card_a


async def test_the_reject_form_carries_the_card_it_was_opened_from() -> None:
    """The modal's private metadata names the token and the card (channel and message ts)."""
    world, client = World(), _Client()
    approval = await world.request("deploy", service="api", env="prod")
    listeners = ApprovalListeners(world.ops.decisions, catalog=world.ops.catalog)
    await listeners.on_reject(_Ack(), _click(BOB, approval), client)  # type: ignore[arg-type]
    ((method, args),) = client.calls
    assert method == "views.open"
    assert args["view"]["private_metadata"] == modal_metadata(
        approval.token, "C_OPS", f"card-{approval.id}"
    )


async def test_a_form_that_names_no_card_changes_nothing() -> None:
    """A rejection form whose metadata lacks the card's message (or names another) is refused
    and explained; the request stays pending."""
    world = World()
    approval = await world.request("deploy", service="api", env="prod")
    listeners = ApprovalListeners(world.ops.decisions, catalog=world.ops.catalog)
    for ts in (None, "card-elsewhere"):
        client = _Client()
        body = {
            "user": {"id": BOB},
            "view": {
                "private_metadata": modal_metadata(approval.token, "C_OPS", ts),
                "state": {"values": {REASON_BLOCK: {REASON_INPUT: {"value": "no"}}}},
            },
        }
        await listeners.on_reject_submitted(_Ack(), body, client)  # type: ignore[arg-type]
        ((method, args),) = client.calls
        assert method == "chat.postEphemeral" and "does not belong" in args["text"]
    assert (await world.stored(approval.id)).state == "pending"
