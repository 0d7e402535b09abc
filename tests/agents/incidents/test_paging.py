"""Paging from an incident: commands, the stable dedup key, the timeline note, the offer on
resolve; and the incident and on-call agents using them, over in-memory ports."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from agents.builtin.incident import IncidentAgent, IncidentDeps
from agents.builtin.oncall import OncallAgent
from agents.incidents.paging import (
    IncidentPaging,
    PageEvent,
    dedup_key,
    paged_services,
    split_service,
)
from agents.incidents.schedules import (
    LevelOncall,
    OncallShift,
    OncallUnavailable,
    ServiceOncall,
)
from agents.kernel.models import Inbound, Reply
from tests.agents.builtin.test_oncall_incident import _turn
from tests.agents.fakes import FakeClock
from tests.agents.fakes_incidents import MemoryIncidents, RecordingBoard, RecordingWorkspace

NOW = datetime(2026, 11, 5, 12, 0, tzinfo=UTC)


class RecordedPages:
    """``PageRequests`` that records each request and answers with a card."""

    def __init__(self, *, card: bool = True) -> None:
        self.requests: list[tuple[PageEvent, dict[str, str]]] = []
        self._card = card

    def pageable(self) -> tuple[str, ...]:
        return ("checkout", "payments")

    async def request(
        self, inbound: Inbound, *, event: PageEvent, values: Mapping[str, str]
    ) -> Reply:
        self.requests.append((event, dict(values)))
        if not self._card:
            return Reply(text="You may not run `pagerduty_trigger`.")
        return Reply(text="needs approval", approval_id=f"a{len(self.requests)}")


def _world(
    *, card: bool = True, board: RecordingBoard | None = None
) -> tuple[IncidentAgent, MemoryIncidents, RecordedPages]:
    store, clock, pages = MemoryIncidents(), FakeClock(NOW), RecordedPages(card=card)
    deps = IncidentDeps(
        clock=clock,
        workspace=RecordingWorkspace(),
        incidents=store,
        board=board or RecordingBoard(),
        paging=IncidentPaging(pages, store, clock),
    )
    return IncidentAgent(deps), store, pages


def test_commands_and_the_service_word_are_read() -> None:
    """`page X`, `page ack`, `page resolve X`; `service=X` leaves the title."""
    paging = IncidentPaging(RecordedPages(), MemoryIncidents(), FakeClock(NOW))
    assert paging.command("page checkout") == ("trigger", "checkout")
    assert paging.command("page ack") == ("acknowledge", None)
    assert paging.command("Page Resolve Payments") == ("resolve", "payments")
    assert paging.command("paging is broken") is None
    assert split_service("sev1 checkout down service=Checkout now") == (
        "sev1 checkout down now",
        "checkout",
    )
    assert split_service("sev1 down") == ("sev1 down", None)
    assert dedup_key("inc-1", "checkout") == "switchboard-inc-1-checkout"


async def test_declare_with_a_service_requests_the_trigger_and_notes_it() -> None:
    """The declare answer is the trigger's card with the declaration as its note; the request
    carries the stable dedup key, the title as summary and sev1 as critical; the summary card
    and the timeline say it was requested."""
    board = RecordingBoard()
    agent, store, pages = _world(board=board)
    reply = await agent.handle(_turn("declare sev1 Checkout down service=checkout"))
    assert reply.approval_id == "a1" and reply.note is not None and "Declared" in reply.note
    assert pages.requests == [
        (
            "trigger",
            {
                "service": "checkout",
                "dedup_key": "switchboard-inc-t1-checkout",
                "summary": "[sev1] Checkout down",
                "severity": "critical",
            },
        )
    ]
    incident = await store.by_channel(team_id="T1", channel_id="CNEW1")
    assert incident is not None and incident.title == "Checkout down"
    assert paged_services(incident) == {"checkout": "switchboard-inc-t1-checkout"}
    # The summary card is drawn once the page is requested, so it can name it.
    assert [paged_services(card) for card in board.cards] == [
        {"checkout": "switchboard-inc-t1-checkout"}
    ]


async def test_a_refused_page_is_said_and_not_noted() -> None:
    """Policy refuses the requester: the declaration stands, the refusal is said, and nothing
    claims a page was requested."""
    agent, store, _ = _world(card=False)
    reply = await agent.handle(_turn("declare sev2 Checkout slow service=checkout"))
    assert reply.approval_id is None and "Declared" in reply.text and "may not" in reply.text
    incident = await store.by_channel(team_id="T1", channel_id="CNEW1")
    assert incident is not None and paged_services(incident) == {}


async def test_ack_and_resolve_reach_only_a_paged_service_with_its_key() -> None:
    """`page ack` without a name uses the one service paged; a service never paged is
    refused; resolving the incident offers the PagerDuty resolve."""
    agent, _, pages = _world()
    await agent.handle(_turn("declare sev2 Payments slow"))
    refused = await agent.handle(_turn("page ack payments", channel="CNEW1"))
    assert "was not paged" in refused.text
    await agent.handle(_turn("page payments", channel="CNEW1", trace="t2"))
    acked = await agent.handle(_turn("page ack", channel="CNEW1", trace="t3"))
    assert acked.approval_id is not None
    assert pages.requests[-1] == (
        "acknowledge",
        {"service": "payments", "dedup_key": "switchboard-inc-t1-payments"},
    )
    resolved = await agent.handle(_turn("resolve fixed", channel="CNEW1", trace="t4"))
    assert "`incident: page resolve payments` (needs approval)" in resolved.text


async def test_an_unknown_service_names_the_pageable_ones() -> None:
    """`page billing` pages nobody and lists what can be paged."""
    agent, _, pages = _world()
    await agent.handle(_turn("declare db down"))
    reply = await agent.handle(_turn("page billing", channel="CNEW1"))
    assert "'billing' is not a PagerDuty service" in reply.text and "`checkout`" in reply.text
    assert pages.requests == []


async def test_paging_outside_an_incident_channel_points_at_the_open_incidents() -> None:
    """`page checkout` in #general: use it in the incident's channel."""
    agent, _, pages = _world()
    reply = await agent.handle(_turn("page checkout"))
    assert "incident's own channel" in reply.text and pages.requests == []


class FakeDirectory:
    """``OncallDirectory`` answering from a dict; a service mapped to None is unavailable."""

    def __init__(self, answers: Mapping[str, ServiceOncall | None]) -> None:
        self._answers = answers

    def services(self) -> tuple[str, ...]:
        return tuple(self._answers)

    async def oncall(self, service: str, *, now: datetime) -> ServiceOncall:
        answer = self._answers[service]
        if answer is None:
            raise OncallUnavailable("PagerDuty could not answer just now.")
        return answer


CHECKOUT = ServiceOncall("checkout", "EP", (LevelOncall(1, OncallShift(1, "Ada")),))


async def test_oncall_answers_a_named_service_from_the_directory() -> None:
    """`who is on call for checkout` asks the directory for that service only."""
    agent = OncallAgent((), clock=FakeClock(NOW), directory=FakeDirectory({"checkout": CHECKOUT}))
    reply = await agent.handle(_turn("who is on call for checkout"))
    assert [item.label for item in reply.items] == ["checkout · PagerDuty escalation policy EP"]


async def test_oncall_says_when_the_directory_cannot_answer() -> None:
    """The directory's own words are the answer for that service; nothing is guessed."""
    directory = FakeDirectory({"checkout": CHECKOUT, "payments": None})
    agent = OncallAgent((), clock=FakeClock(NOW), directory=directory)
    reply = await agent.handle(_turn("who is on call?"))
    assert [item.detail for item in reply.items][1] == "PagerDuty could not answer just now."


async def test_oncall_names_services_and_rotations_for_an_unknown_name() -> None:
    """An unknown name lists what is known, services included."""
    agent = OncallAgent((), clock=FakeClock(NOW), directory=FakeDirectory({"checkout": CHECKOUT}))
    reply = await agent.handle(_turn("who is on call for billing"))
    assert "'billing'" in reply.text and "`checkout`" in reply.text
