"""PagerDuty's news over in-memory ports: put on the incident it is about, once; other
incidents' news, and a card Slack will not redraw, change nothing else."""

from __future__ import annotations

from datetime import timedelta

from agents.incidents.pagerduty_news import (
    PagerDutyNews,
    PagerDutyUpdates,
    linked_incident,
    pagerduty_states,
)
from agents.incidents.paging import PAGED_NOTE
from agents.incidents.records import TimelineEntry
from agents.incidents.summary import entry_line
from agents.kernel.errors import SlackApiFailure
from tests.agents.fakes_incidents import RecordingBoard
from tests.agents.incidents.world import START, world

KEY = "switchboard-inc-1-checkout"
OTHER = "switchboard-inc-1-pay-ments"


def _paged(*keys: str) -> tuple[TimelineEntry, ...]:
    declared = TimelineEntry(START, "U1", "declared", "Declared: Database down")
    notes = [
        TimelineEntry(START, "U1", "note", PAGED_NOTE.format(service=k.split("-", 3)[3], key=k))
        for k in keys
    ]
    return (declared, *notes)


def _news(event_type: str, *, key: str = KEY, ident: str = "e1", **more: object) -> PagerDutyNews:
    fields: dict[str, object] = {
        "event_id": ident,
        "event_type": event_type,
        "occurred_at": START + timedelta(minutes=5),
        "incident_key": key,
        "number": 7,
        "html_url": "https://acme.pagerduty.com/incidents/PX",
        "agent": "Ada <!channel> Lovelace",
        **more,
    }
    return PagerDutyNews(**fields)  # type: ignore[arg-type]


def test_our_dedup_keys_name_the_incident_and_service() -> None:
    """Service names may hold dashes; keys not of our making link nothing."""
    assert linked_incident(KEY) == ("inc-1", "checkout")
    assert linked_incident(OTHER) == ("inc-1", "pay-ments")
    assert linked_incident("d3640fbd41094207a1c11e58e46b1662") is None
    assert linked_incident("switchboard-inc-1-") is None


async def test_news_is_on_the_timeline_in_the_thread_and_on_the_card_once() -> None:
    """Acknowledged: a timeline entry by PagerDuty (markup stripped from the name), a
    message in the card's thread with the link, the card redrawn; the same event again adds
    nothing and posts nothing."""
    store, _, board, _ = await world(timeline=_paged(KEY))
    updates = PagerDutyUpdates(store, board=board)
    assert await updates.receive(_news("incident.acknowledged")) == "applied"
    assert await updates.receive(_news("incident.acknowledged")) == "duplicate"
    stored = await store.get("inc-1")
    assert stored is not None
    entry = stored.timeline[-1]
    assert entry.text == "PagerDuty: checkout acknowledged by Ada !channel Lovelace (incident #7)"
    assert (entry.user_id, entry.source_ts) == ("pagerduty", "pagerduty:e1")
    assert pagerduty_states(stored) == {"checkout": ("acknowledged", entry.link)}
    assert board.threads == [("inc-1", entry.text)]
    assert len(board.refreshed) == 1
    assert entry_line(entry).startswith("12:05 PagerDuty: checkout acknowledged")
    assert "<@pagerduty>" not in entry_line(entry)


async def test_resolving_offers_the_slack_resolve_only_once_every_page_is_resolved() -> None:
    """Two services paged: the first resolved says nothing more; the second resolved says
    every alert is resolved and offers `incident: resolve`; the Slack incident stays open.
    A reassignment names who has it now."""
    store, _, board, _ = await world(timeline=_paged(KEY, OTHER))
    updates = PagerDutyUpdates(store, board=board)
    await updates.receive(_news("incident.resolved"))
    reassigned = _news("incident.reassigned", key=OTHER, ident="e2", assignees=("Grace",))
    await updates.receive(reassigned)
    await updates.receive(_news("incident.resolved", key=OTHER, ident="e3"))
    texts = [text for _, text in board.threads]
    assert "incident: resolve" not in texts[0]
    assert "reassigned by Ada !channel Lovelace (incident #7), now assigned to Grace" in texts[1]
    assert "Every PagerDuty alert this incident paged is resolved" in texts[2]
    stored = await store.get("inc-1")
    assert stored is not None and stored.status == "investigating"


async def test_news_of_other_incidents_and_other_events_is_ignored() -> None:
    """A key not ours, an incident that does not exist, a service it never paged, or an
    event type not handled: nothing stored, nothing posted."""
    store, _, board, _ = await world(timeline=_paged(KEY))
    updates = PagerDutyUpdates(store, board=board)
    assert await updates.receive(_news("incident.resolved", key="abc")) == "unknown_incident"
    missing = "switchboard-inc-9-checkout"
    assert await updates.receive(_news("incident.resolved", key=missing)) == "unknown_incident"
    assert await updates.receive(_news("incident.resolved", key=OTHER)) == "unknown_incident"
    assert await updates.receive(_news("incident.annotated")) == "not_ours"
    assert board.threads == [] and board.refreshed == []


class _RefusingBoard(RecordingBoard):
    async def thread(self, incident: object, text: str, *, link: str | None = None) -> None:
        raise SlackApiFailure("chat.postMessage", "channel_not_found")


async def test_news_slack_refuses_to_show_is_still_kept() -> None:
    """Slack refusing the thread message: the entry is kept (a redelivery is a duplicate)
    and the outcome is applied."""
    store, _, _, _ = await world(timeline=_paged(KEY))
    updates = PagerDutyUpdates(store, board=_RefusingBoard())
    assert await updates.receive(_news("incident.acknowledged")) == "applied"
    assert await updates.receive(_news("incident.acknowledged")) == "duplicate"
