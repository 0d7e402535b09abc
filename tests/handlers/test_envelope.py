"""The envelope check: which decoded bodies are well-formed enough for Bolt to dispatch."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from handlers.envelope import MAX_DEPTH, envelope_kind, nesting_depth

SAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "slack_samples"

EVENT = {
    "type": "event_callback",
    "team_id": "T0",
    "event_id": "Ev0",
    "event": {"type": "app_mention", "user": "U0", "channel": "C0", "ts": "1.2", "text": "hi"},
    "authorizations": [{"team_id": "T0", "user_id": "U0B", "is_enterprise_install": False}],
}
VIEW = {"type": "modal", "callback_id": "x", "id": "V0", "state": {"values": {}}}


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        (EVENT, "event"),
        ({"type": "url_verification", "challenge": "c", "token": "t"}, "url_verification"),
        ({"command": "/ops", "text": "help", "trigger_id": "t"}, "command"),
        (
            {"type": "block_actions", "user": {"id": "U0"}, "actions": [{"action_id": "a"}]},
            "interaction",
        ),
        ({"type": "view_submission", "user": {"id": "U0"}, "view": VIEW}, "interaction"),
        ({"type": "view_closed", "view": VIEW, "is_cleared": False}, "interaction"),
        ({"type": "shortcut", "callback_id": "x"}, "interaction"),
        ({"type": "app_rate_limited", "minute_rate_limited": 1}, "other"),
        ({"type": "something_new"}, "interaction"),
    ],
)
def test_what_slack_sends_passes(body: dict[str, Any], kind: str) -> None:
    """Payloads of the shapes Slack sends are accepted, extra keys and all."""
    assert envelope_kind(body) == kind


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"type": 5},
        {"command": 5},
        {**EVENT, "event": "app_mention"},
        {**EVENT, "event": {"channel": "C0"}},
        {**EVENT, "event": {**EVENT["event"], "thread_ts": 1.5}},
        {**EVENT, "authorizations": {"a": 1}},
        {**EVENT, "team_id": ["T0"]},
        {"type": "url_verification"},
        {"type": "block_actions", "actions": []},
        {"type": "block_actions", "actions": [{"action_id": 5}]},
        {"type": "view_submission", "view": {"callback_id": "x"}},
        {"type": "view_closed", "view": "x"},
        {"type": "shortcut"},
        {"type": "block_suggestion"},
        {**EVENT, "x": json.loads("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1))},
    ],
)
def test_malformed_envelopes_are_refused(body: dict[str, Any]) -> None:
    """A body Bolt would index into and fail on is malformed (None)."""
    assert envelope_kind(body) is None


def test_nesting_depth_measures_any_depth_without_recursion() -> None:
    """Depth is counted iteratively, stopping just past the limit."""
    deep: Any = []
    for _ in range(100_000):
        deep = [deep]
    assert nesting_depth(deep) == MAX_DEPTH + 1
    assert nesting_depth({"a": [1, {"b": []}]}) == 4
    assert nesting_depth("x") == 0


def test_the_real_slack_samples_are_in_the_repository() -> None:
    """The samples below ship with the tests: an empty glob would silently test nothing."""
    assert len(list((SAMPLES / "events").glob("*.json"))) == 14
    assert len(list((SAMPLES / "app-backend").glob("*.json"))) == 5


@pytest.mark.parametrize(
    "path",
    sorted((SAMPLES / "events").glob("*.json")) + sorted((SAMPLES / "app-backend").glob("*.json")),
    ids=lambda path: path.stem,
)
def test_real_slack_samples_pass(path: Path) -> None:
    """Every key, nesting and type real Slack sends passes (the samples mask values, so
    only types are checked, never values)."""
    assert envelope_kind(json.loads(path.read_text())) is not None
