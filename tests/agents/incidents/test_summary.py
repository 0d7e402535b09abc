"""The catch-up and the postmortem draft as pure functions of a stored incident."""

from __future__ import annotations

from datetime import timedelta

from agents.incidents.records import FollowUp, TimelineEntry
from agents.incidents.summary import age, catch_up, postmortem_draft
from tests.agents.incidents.world import START, incident

PINNED = TimelineEntry(
    START + timedelta(minutes=3), "U5", "pinned", "failover", source_ts="1.5", link="https://l/1"
)
LATER = TimelineEntry(START + timedelta(minutes=9), "U2", "status", "identified")
DONE = FollowUp("fu-1", "inc-1", START, "U2", "alert on 5xx", 12, "https://gh/12")
OPEN = FollowUp("fu-2", "inc-1", START, "U3", "runbook")


def test_age_reads_like_people_say_it() -> None:
    """Minutes, hours and minutes, days and hours; never negative."""
    assert age(timedelta(minutes=14)) == "14m"
    assert age(timedelta(hours=2, minutes=5)) == "2h 05m"
    assert age(timedelta(days=3, hours=2, minutes=59)) == "3d 2h"
    assert age(timedelta(seconds=-5)) == "0m"


def test_catch_up_has_the_latest_entries_in_time_order_and_the_open_follow_ups() -> None:
    """A message said before the last status change is shown before it; only follow-ups
    without a ticket count as open; ``last`` limits the entries."""
    shown = incident(timeline=(*incident().timeline, LATER, PINNED), followups=(DONE, OPEN))
    reply = catch_up(shown, now=START + timedelta(hours=1, minutes=2), last=2)
    items = {item.label: item.detail for item in reply.items}
    assert items["Severity and status"] == "sev1, investigating"
    assert items["Roles"] == "lead: nobody yet, comms: nobody yet"
    assert items["Declared"].startswith("1h 02m ago by <@U1>")
    assert items["Latest 2 timeline entries"].splitlines() == [
        "• 12:03 📌 <@U5>: failover (<https://l/1|message>)",
        "• 12:09 status <@U2>: identified",
    ]
    assert items["Open follow-ups"] == "• runbook (<@U3>)"


def test_the_postmortem_has_roles_pins_follow_ups_and_duration() -> None:
    """Every section is there; the ticket of a filed follow-up is linked; the resolved
    incident says how long it lasted."""
    resolved = incident(
        status="resolved",
        resolved_at=START + timedelta(hours=1, minutes=30),
        lead="U2",
        oncall="U4",
        timeline=(*incident().timeline, PINNED, LATER),
        followups=(DONE, OPEN),
    )
    draft = postmortem_draft(resolved)
    for part in (
        "*Postmortem draft: Database down* (sev1)",
        "resolved at 2026-11-23 13:30 UTC after 1h 30m.",
        "*Impact and severity*",
        "lead <@U2>, comms: nobody yet; on call <@U4>",
        "*Pinned during the incident* (1)",
        "• alert on 5xx (<@U2>) → <https://gh/12|#12>",
        "• runbook (<@U3>)",
        "*Root cause*",
    ):
        assert part in draft, part
    assert (
        draft.index("Declared: Database down") < draft.index("failover") < draft.index("identified")
    )


def test_an_empty_incident_says_what_is_missing() -> None:
    """No pins, no follow-ups: each section says so instead of staying blank."""
    draft = postmortem_draft(incident())
    assert "_Nothing was pinned._" in draft and "_None captured" in draft
