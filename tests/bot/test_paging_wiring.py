"""A trigger that ran tells its incident (the card links PagerDuty's incident), once per
approval, and never fails the run for it."""

from __future__ import annotations

import json

from agents.actions.execution import ExecutionRequest, ExecutionResult
from agents.incidents.pagerduty_news import PagerDutyUpdates, pagerduty_states
from agents.incidents.paging import PAGED_NOTE
from agents.incidents.records import TimelineEntry
from agents.kernel.errors import StorageError
from bot.paging_wiring import TriggerLinks, link_triggers
from tests.agents.fakes import FakeClock
from tests.agents.fakes_incidents import MemoryIncidents, RecordingBoard
from tests.agents.incidents.world import START, world

KEY = "switchboard-inc-1-checkout"
LINK = "https://acme.pagerduty.com/incidents/PX"


class _Trigger:
    def __init__(self, result: ExecutionResult) -> None:
        self.result = result

    async def run(self, request: ExecutionRequest) -> ExecutionResult:
        return self.result


def _request() -> ExecutionRequest:
    params = {"service": "checkout", "dedup_key": KEY, "summary": "s", "severity": "critical"}
    return ExecutionRequest("pagerduty_trigger", params, "approval-1", "t1", "U1")


def _ran(**body: object) -> ExecutionResult:
    return ExecutionResult("succeeded", "ok", body=json.dumps({"dedup_key": KEY, **body}))


async def _paged_world() -> tuple[MemoryIncidents, RecordingBoard]:
    paged = TimelineEntry(START, "U1", "note", PAGED_NOTE.format(service="checkout", key=KEY))
    declared = TimelineEntry(START, "U1", "declared", "Declared: Database down")
    store, _, board, _ = await world(timeline=(declared, paged))
    return store, board


async def test_a_trigger_that_ran_links_the_incident_once() -> None:
    """The card's state for the service is triggered with the link; a rerun of the same
    approval (after a crash) adds nothing."""
    store, board = await _paged_world()
    links = TriggerLinks(
        _Trigger(_ran(incident_number=1, incident_url=LINK)),
        PagerDutyUpdates(store, board=board),
        clock=FakeClock(START),
    )
    for _ in range(2):
        assert (await links.run(_request())).outcome == "succeeded"
    stored = await store.get("inc-1")
    assert stored is not None
    assert pagerduty_states(stored) == {"checkout": ("triggered", LINK)}
    assert [e.text for e in stored.timeline if e.user_id == "pagerduty"] == [
        "PagerDuty: checkout triggered (incident #1)"
    ]


async def test_not_open_yet_failed_runs_and_a_failing_store() -> None:
    """No incident yet: triggered, unlinked. A failed run tells nothing. A store that fails
    while telling does not fail the run."""
    store, board = await _paged_world()
    updates = PagerDutyUpdates(store, board=board)
    failed = ExecutionResult("failed", "refused")
    assert (
        await TriggerLinks(_Trigger(failed), updates, clock=FakeClock()).run(_request()) == failed
    )
    stored = await store.get("inc-1")
    assert stored is not None and pagerduty_states(stored) == {}
    await TriggerLinks(_Trigger(_ran()), updates, clock=FakeClock(START)).run(_request())
    stored = await store.get("inc-1")
    assert stored is not None and pagerduty_states(stored) == {"checkout": ("triggered", None)}

    class _Broken(MemoryIncidents):
        async def get(self, incident_id: str) -> None:
            raise StorageError("database down")

    broken = PagerDutyUpdates(_Broken(), board=board)
    result = await TriggerLinks(_Trigger(_ran()), broken, clock=FakeClock()).run(_request())
    assert result.outcome == "succeeded"


def test_only_the_trigger_is_wrapped() -> None:
    """Acknowledge and resolve, and other actions, run as they are."""
    ack = _Trigger(_ran())
    wrapped = link_triggers(
        {"pagerduty_trigger": _Trigger(_ran()), "pagerduty_acknowledge": ack},
        PagerDutyUpdates(MemoryIncidents(), board=RecordingBoard()),
        clock=FakeClock(),
    )
    assert isinstance(wrapped["pagerduty_trigger"], TriggerLinks)
    assert wrapped["pagerduty_acknowledge"] is ack
