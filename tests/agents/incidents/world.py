"""An open incident in in-memory ports, for the incident capability's domain tests."""

from __future__ import annotations

from datetime import UTC, datetime

from agents.incidents.records import Incident, TimelineEntry
from tests.agents.fakes import FakeClock
from tests.agents.fakes_incidents import MemoryIncidents, RecordingBoard, RecordingWorkspace

START = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def incident(**changes: object) -> Incident:
    """An open sev1 incident in ``CINC1`` with its card at ``9.1``."""
    fields: dict[str, object] = {
        "incident_id": "inc-1",
        "team_id": "T1",
        "channel_id": "CINC1",
        "channel_name": "inc-20261123-db-down",
        "origin_channel_id": "C1",
        "title": "Database down",
        "severity": "sev1",
        "status": "investigating",
        "reporter": "U1",
        "declared_at": START,
        "timeline": (TimelineEntry(START, "U1", "declared", "Declared: Database down"),),
        "card_ts": "9.1",
        **changes,
    }
    return Incident(**fields)  # type: ignore[arg-type]


async def world(
    **changes: object,
) -> tuple[MemoryIncidents, RecordingWorkspace, RecordingBoard, FakeClock]:
    """The store holding :func:`incident`, a workspace, a board and a clock at ``START``."""
    store = MemoryIncidents()
    await store.create(incident(**changes))
    return store, RecordingWorkspace(), RecordingBoard(), FakeClock(START)
