"""The card's paging buttons: what it offers as pages go out and PagerDuty answers, and the
check a click passes (its own card, open, a control offered now) before it becomes the
command a person would type."""

from __future__ import annotations

from agents.incidents.page_buttons import MAX_CONTROLS, PageButtons, PageClick, page_controls
from agents.incidents.paging import PAGED_NOTE
from agents.incidents.records import PAGERDUTY_AUTHOR, TimelineEntry
from tests.agents.incidents.world import START, incident, world

KEY = "switchboard-inc-1-checkout"
PAGEABLE = ("checkout", "payments")


def _note(text: str, *, user: str = "U1") -> TimelineEntry:
    return TimelineEntry(START, user, "note", text)


def test_the_controls_follow_the_pages_and_what_pagerduty_said() -> None:
    """Nothing paged: a page per service. Checkout paged: acknowledge and resolve it, page
    payments. Acknowledged: resolve only. Resolved in PagerDuty, or the incident resolved:
    nothing for it."""
    assert page_controls(incident(), PAGEABLE) == [("trigger", "checkout"), ("trigger", "payments")]
    paged = _note(PAGED_NOTE.format(service="checkout", key=KEY))
    assert page_controls(incident(timeline=(paged,)), PAGEABLE) == [
        ("acknowledge", "checkout"),
        ("resolve", "checkout"),
        ("trigger", "payments"),
    ]
    acked = _note("PagerDuty: checkout acknowledged by Ada", user=PAGERDUTY_AUTHOR)
    assert page_controls(incident(timeline=(paged, acked)), PAGEABLE)[0] == ("resolve", "checkout")
    done = _note("PagerDuty: checkout resolved by Ada", user=PAGERDUTY_AUTHOR)
    assert page_controls(incident(timeline=(paged, done)), PAGEABLE) == [("trigger", "payments")]
    assert page_controls(incident(status="resolved"), PAGEABLE) == []
    many = tuple(f"svc{i}" for i in range(20))
    assert len(page_controls(incident(), many)) == MAX_CONTROLS


def _click(**changes: object) -> PageClick:
    fields: dict[str, object] = {
        "team_id": "T1",
        "channel_id": "CINC1",
        "message_ts": "9.1",
        "user_id": "U2",
        "incident_id": "inc-1",
        "event": "trigger",
        "service": "checkout",
        **changes,
    }
    return PageClick(**fields)  # type: ignore[arg-type]


async def test_a_click_on_the_cards_own_offered_control_is_the_typed_command() -> None:
    """On its own card, open, offered now: the command, as typed in the channel."""
    store, _, _, _ = await world()
    buttons = PageButtons(store, pageable=PAGEABLE)
    checked = await buttons.command(_click())
    assert not isinstance(checked, str)
    assert checked[0].incident_id == "inc-1" and checked[1] == "incident: page checkout"


async def test_clicks_that_do_not_belong_are_refused() -> None:
    """Another message, another workspace or channel, another incident's id, a control not
    offered now (acknowledge before a page), a service that cannot be paged, a resolved
    incident: each refused with words for the clicker."""
    store, _, _, _ = await world()
    buttons = PageButtons(store, pageable=PAGEABLE)
    for click in (
        _click(message_ts="9.2"),
        _click(team_id="T2"),
        _click(channel_id="C1"),
        _click(incident_id="inc-2"),
        _click(user_id=""),
    ):
        assert "not on an incident" in str(await buttons.command(click))
    assert "out of date" in str(await buttons.command(_click(event="acknowledge")))
    assert "out of date" in str(await buttons.command(_click(service="billing")))
    resolved, _, _, _ = await world(status="resolved")
    refused = await PageButtons(resolved, pageable=PAGEABLE).command(_click())
    assert "resolved already" in str(refused)
