"""A timeline entry says what status the incident has after it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from agents.incidents.records import IncidentStatus, TimelineEntry, TimelineKind

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("kind", "text", "status"),
    [
        ("status", "identified", "identified"),
        ("status", "monitoring", "monitoring"),
        ("resolved", "fixed the replica", "resolved"),
        ("note", "identified", None),
        ("declared", "Declared: db down", None),
        ("status", "on fire", None),
    ],
)
def test_an_entry_sets_the_status_it_names(
    kind: TimelineKind, text: str, status: IncidentStatus | None
) -> None:
    """A status entry sets its status, a resolution ``resolved``; other entries none."""
    assert TimelineEntry(T0, "U1", kind, text).sets_status == status
