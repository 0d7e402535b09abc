"""Interactivity payloads parsed once, with pydantic: clicks and modal submissions."""

from __future__ import annotations

import json
from typing import Any

import pytest

from handlers.interactivity import parse_click, parse_submission


def test_a_click_reads_who_where_and_what() -> None:
    """A message button: the clicker, their team, the channel, the action and the thread."""
    click = parse_click(
        {
            "type": "block_actions",
            "user": {"id": "U1", "team_id": "T_USER"},
            "team": {"id": "T1"},
            "channel": {"id": "C1"},
            "container": {"type": "message", "message_ts": "5.5", "channel_id": "C1"},
            "message": {"ts": "5.5", "thread_ts": "1.1"},
            "actions": [{"action_id": "approval_approve", "value": "tok.0"}],
            "trigger_id": "trig",
            "response_url": "https://hooks.example/r",
        }
    )
    assert (click.user_id, click.team_id, click.channel_id) == ("U1", "T1", "C1")
    assert (click.action_id, click.value, click.trigger_id) == ("approval_approve", "tok.0", "trig")
    assert (click.message_ts, click.thread_ts, click.ephemeral) == ("5.5", "1.1", False)
    assert click.response_url == "https://hooks.example/r"


def test_a_click_in_a_view_has_no_channel_and_takes_the_users_team() -> None:
    """An App Home button: no channel; the team comes from the user when none is given."""
    click = parse_click(
        {
            "user": {"id": "U1", "team_id": "T9"},
            "container": {"type": "view", "view_id": "V1"},
            "actions": [{"action_id": "review_label:bug", "value": "trace"}],
        }
    )
    assert (click.team_id, click.channel_id, click.action_id) == ("T9", None, "review_label:bug")


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"user": "U1"},
        {"actions": "approve"},
        {"actions": [], "container": None},
        {"user": {"id": 42}},
    ],
)
def test_a_malformed_click_parses_to_empty_fields(body: dict[str, Any]) -> None:
    """Missing or mistyped fields never raise: the listener sees nobody and no action."""
    click = parse_click(body)
    assert (click.user_id, click.value, click.channel_id) == ("", "", None)


def test_a_submission_reads_metadata_and_inputs() -> None:
    """The view's private metadata, typed text, chosen options and inputs by block prefix."""
    form = parse_submission(
        {
            "type": "view_submission",
            "user": {"id": "U1"},
            "team": {"id": "T1"},
            "view": {
                "private_metadata": json.dumps({"token": "tok", "channel": "C1"}),
                "state": {
                    "values": {
                        "reason": {"reason_input": {"type": "plain_text_input", "value": "no"}},
                        "why": {"pick": {"selected_option": {"value": "wrong_agent"}}},
                        "param:env": {"value": {"value": "prod"}},
                        "param:service": {"value": {"value": None}},
                    }
                },
            },
        }
    )
    assert (form.user_id, form.team_id, dict(form.metadata)) == (
        "U1",
        "T1",
        {"token": "tok", "channel": "C1"},
    )
    assert form.text("reason", "reason_input") == "no"
    assert form.choice("why", "pick") == "wrong_agent"
    assert form.choice("reason", "reason_input") is None
    assert form.texts("param:", "value") == {"env": "prod", "service": ""}
    assert form.text("missing", "x") == ""


@pytest.mark.parametrize("metadata", ["not json", "[1, 2]", ""])
def test_malformed_private_metadata_is_empty(metadata: str) -> None:
    """Metadata that is not a JSON object reads as none (the token is then unknown)."""
    form = parse_submission({"user": {"id": "U1"}, "view": {"private_metadata": metadata}})
    assert dict(form.metadata) == {}
