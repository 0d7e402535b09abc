"""The incident card's blocks and the parsing of what its controls and pin events send."""

from __future__ import annotations

from typing import Any

from handlers.incident_blocks import (
    PAGE_PREFIX,
    card_text,
    incident_card,
    parse_page_action,
    parse_role_action,
)
from handlers.incidents import pinned_message
from sandbox.blockcheck import check_blocks
from tests.agents.incidents.world import incident


def _actions(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for b in blocks if b["type"] == "actions" for e in b["elements"]]


def test_an_open_card_shows_holders_and_offers_every_role_control() -> None:
    """Buttons to take each role, a person picker to hand each, the holders named; the
    blocks pass Slack's rules."""
    blocks = incident_card(incident(lead="U2", oncall="U4"))
    check_blocks(blocks)
    text = str(blocks)
    assert "*Lead*\\n<@U2>" in text and "*Comms*\\nnobody yet" in text
    assert "*On call*\\n<@U4>" in text
    assert [e["action_id"] for e in _actions(blocks)] == [
        "incident_take_lead",
        "incident_take_comms",
        "incident_assign_lead",
        "incident_assign_comms",
    ]
    assert card_text(incident()) == "Incident: Database down (sev1, investigating)"


def test_a_resolved_card_has_no_controls() -> None:
    """Roles are settled once the incident is resolved."""
    assert _actions(incident_card(incident(status="resolved"))) == []


def test_role_controls_parse_to_role_assignee_and_incident() -> None:
    """A take button names the clicker; a picker the person picked, the incident from the
    block; anything else is None."""
    take = parse_role_action(
        "incident_take_lead", value="inc-1", block_id="", selected_user="", user_id="U2"
    )
    hand = parse_role_action(
        "incident_assign_comms",
        value="",
        block_id="incident_roles:inc-1",
        selected_user="U3",
        user_id="U2",
    )
    assert take == ("lead", "U2", "inc-1") and hand == ("comms", "U3", "inc-1")
    for action_id, value in (("incident_take_boss", "inc-1"), ("incident_take_lead", "")):
        assert (
            parse_role_action(action_id, value=value, block_id="", selected_user="", user_id="U2")
            is None
        )


def test_pin_events_parse_to_channel_ts_and_message() -> None:
    """📌 reactions give the item; pins carry the message; other reactions, files and
    malformed items are nothing."""
    item = {"type": "message", "channel": "C1", "ts": "1.5"}
    reaction = {"type": "reaction_added", "reaction": "pushpin", "item": item}
    assert pinned_message(reaction) == ("C1", "1.5", None)
    assert pinned_message({**reaction, "reaction": "eyes"}) is None
    assert pinned_message({**reaction, "item": {"type": "file", "file": "F1"}}) is None
    assert pinned_message({**reaction, "item": "x"}) is None
    pin = {
        "type": "pin_added",
        "channel_id": "C1",
        "item": {
            "type": "message",
            "channel": "C1",
            "message": {"ts": "1.6", "user": "U5", "text": "t"},
        },
    }
    found = pinned_message(pin)
    assert found is not None and found[:2] == ("C1", "1.6")
    assert found[2] is not None and (found[2].user_id, found[2].text) == ("U5", "t")
    assert pinned_message({**pin, "item": {"type": "message", "message": {}}}) is None


def test_paging_buttons_are_offered_and_read_back() -> None:
    """With pageable services the open card has a paging block whose buttons carry the
    incident id; a resolved card has none; only well-formed paging actions parse."""
    blocks = incident_card(incident(), pageable=("checkout",))
    check_blocks(blocks)
    [paging] = [b for b in blocks if str(b.get("block_id", "")).startswith("incident_paging:")]
    [button] = paging["elements"]
    assert button["action_id"] == f"{PAGE_PREFIX}trigger:checkout"
    assert button["value"] == "inc-1" and button["text"]["text"] == "Page checkout"
    assert parse_page_action(button["action_id"], value="inc-1") == ("trigger", "checkout", "inc-1")
    assert parse_page_action(f"{PAGE_PREFIX}explode:checkout", value="inc-1") is None
    assert parse_page_action(f"{PAGE_PREFIX}trigger:", value="inc-1") is None
    assert parse_page_action(f"{PAGE_PREFIX}trigger:checkout", value="") is None
    resolved = incident_card(incident(status="resolved"), pageable=("checkout",))
    assert not any("incident_paging" in str(b.get("block_id", "")) for b in resolved)
    assert not any(
        "incident_paging" in str(b.get("block_id", "")) for b in incident_card(incident())
    )
