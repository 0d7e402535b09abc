"""The workspaces a team access event names (handlers.installs.team_ids_of)."""

from __future__ import annotations

from typing import Any

import pytest

from handlers.installs import team_ids_of


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        ({"type": "team_access_revoked", "team_ids": ["T2", "T1", "T2"]}, ["T1", "T2"]),
        ({"type": "team_access_granted", "team_ids": []}, []),
        # Slack's reference example nests one more event inside the event
        ({"event": {"type": "team_access_granted", "team_ids": ["T1"]}}, ["T1"]),
        ({"type": "team_access_revoked"}, None),
        ({"type": "team_access_revoked", "team_ids": "T1"}, None),
        ({"type": "team_access_revoked", "team_ids": ["T1", 7]}, None),
        ({"type": "team_access_revoked", "team_ids": ["T1", ""]}, None),
        ({"event": "T1"}, None),
    ],
)
def test_team_ids_are_a_list_of_workspace_ids_or_none(
    event: dict[str, Any], expected: list[str] | None
) -> None:
    assert team_ids_of(event) == expected
