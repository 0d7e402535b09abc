"""Filing follow-ups as tickets over an in-memory store and a fake tracker."""

from __future__ import annotations

from agents.incidents.followups import FollowUpTickets, listing, marker
from agents.incidents.ports import Ticket, TicketFailure
from agents.incidents.records import FollowUp
from tests.agents.incidents.world import START, world

ALERT = FollowUp("fu-a", "inc-1", START, "U2", "add an alert")
RUNBOOK = FollowUp("fu-b", "inc-1", START, "U3", "write a\nrunbook")


class FakeTracker:
    """Tickets in a list; ``fail`` raises on the n-th create (1-based)."""

    def __init__(self, *, fail: int = 0, maybe: bool = False) -> None:
        self.tickets: list[tuple[str, str]] = []
        self.fail, self.maybe = fail, maybe

    async def find(self, marker: str) -> Ticket | None:
        for index, (_, body) in enumerate(self.tickets, start=1):
            if marker in body:
                return Ticket(index, f"https://gh/{index}")
        return None

    async def create(self, *, title: str, body: str) -> Ticket:
        if self.fail == len(self.tickets) + 1:
            raise TicketFailure("GitHub answered HTTP 502", maybe_created=self.maybe)
        self.tickets.append((title, body))
        return Ticket(len(self.tickets), f"https://gh/{len(self.tickets)}")


async def test_only_the_listed_follow_ups_without_a_ticket_are_filed_once() -> None:
    """The listing names both; both are filed with their marker; a second run files
    nothing; a follow-up not listed (captured after the approval) is left alone."""
    store, _, _, _ = await world(followups=(ALERT, RUNBOOK))
    tracker = FakeTracker()
    tickets = FollowUpTickets(store, tracker, repo="acme/shop")
    approved = listing((ALERT, RUNBOOK))
    assert approved == "fu-a: add an alert; fu-b: write a runbook"
    await store.add_followup(FollowUp("fu-c", "inc-1", START, "U2", "later"))
    first = await tickets.file("inc-1", approved)
    assert (first.outcome, first.filed) == ("succeeded", ("#1", "#2"))
    assert [t[0] for t in tracker.tickets] == ["add an alert", "write a runbook"]
    assert marker("fu-b") in tracker.tickets[1][1]
    again = await tickets.file("inc-1", approved)
    assert again.outcome == "succeeded" and again.filed == () and len(tracker.tickets) == 2
    stored = await store.get("inc-1")
    assert stored is not None
    assert [f.issue_number for f in stored.followups] == [1, 2, None]


async def test_a_failure_stops_the_run_and_says_what_was_filed() -> None:
    """The second create fails: ``failed``, the first kept; one that may have happened
    before anything was filed is ``unknown``; an unknown incident fails."""
    store, _, _, _ = await world(followups=(ALERT, RUNBOOK))
    filing = await FollowUpTickets(store, FakeTracker(fail=2), repo="acme/shop").file(
        "inc-1", listing((ALERT, RUNBOOK))
    )
    assert filing.outcome == "failed"
    assert filing.summary == "acme/shop: GitHub answered HTTP 502; filed #1 first"
    store2, _, _, _ = await world(followups=(ALERT,))
    unsure = await FollowUpTickets(store2, FakeTracker(fail=1, maybe=True), repo="r/r").file(
        "inc-1", listing((ALERT,))
    )
    assert unsure.outcome == "unknown"
    missing = await FollowUpTickets(store2, FakeTracker(), repo="r/r").file("inc-9", "")
    assert missing.outcome == "failed"
