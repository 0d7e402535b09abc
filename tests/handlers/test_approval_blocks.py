"""The approval card: what will run comes from the stored canonical action, with its digest."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from agents.actions.canonical import CanonicalAction
from handlers.approval_blocks import approval_blocks, approval_text, code
from tests.agents.actions.test_operations import ACTIONS
from tests.handlers.test_wording import REQUEST

DEPLOY = next(action for action in ACTIONS if action.name == "deploy")


def _text(blocks: list[dict[str, Any]]) -> str:
    return str(blocks)


def _mrkdwn(value: object) -> list[str]:
    """Every mrkdwn text in the blocks (what Slack parses for mentions and links)."""
    if isinstance(value, list):
        return [text for item in value for text in _mrkdwn(item)]
    if not isinstance(value, dict):
        return []
    own = [str(value["text"])] if value.get("type") == "mrkdwn" else []
    return own + [text for item in value.values() for text in _mrkdwn(item)]


def _fields(blocks: list[dict[str, Any]]) -> list[str]:
    return [field["text"] for block in blocks for field in block.get("fields", [])]


@pytest.mark.parametrize(
    ("executor", "target", "shown"),
    [
        (
            "http",
            {"method": "POST", "url": "https://deploy.example/deploys/api?env=prod"},
            "*Target*\nPOST `https://deploy.example/deploys/api?env=prod`",
        ),
        (
            "shell",
            {"argv": ["/usr/bin/deploy", "api", "two words"], "cwd": None, "env": []},
            "*Target*\nshell `/usr/bin/deploy api 'two words'`",
        ),
        ("python", {"callable": "ops.deploy:run"}, "*Target*\npython `ops.deploy:run`"),
    ],
)
def test_the_target_is_the_canonical_actions_resolved_target(
    executor: str, target: dict[str, object], shown: str
) -> None:
    """The card says what the executor reaches (method and URL, argv, callable), not the
    configured system's name."""
    canonical = CanonicalAction("deploy", executor, target, dict(REQUEST.params))  # type: ignore[arg-type]
    blocks = approval_blocks(replace(REQUEST, canonical=canonical), DEPLOY)
    assert shown in _fields(blocks)


def test_the_digest_is_shown_in_short_form() -> None:
    """A context line shows the first 12 hex digits of the action digest."""
    canonical = CanonicalAction("deploy", "http", {"method": "POST", "url": "u"}, REQUEST.params)
    blocks = approval_blocks(replace(REQUEST, canonical=canonical), DEPLOY)
    assert f"action digest `{canonical.digest[:12]}`" in _text(blocks)
    assert canonical.digest not in _text(blocks)


def test_a_request_from_before_digests_says_it_has_none() -> None:
    """No canonical action: the configured target system, and no digest claimed."""
    blocks = approval_blocks(REQUEST, DEPLOY)
    assert "*Target*\nhttp → `deploy-api`" in _fields(blocks)
    assert "no action digest (requested before digests were kept)" in _text(blocks)


def test_the_parameters_shown_are_the_consented_ones_and_cannot_break_out() -> None:
    """The parameter lines and notification text come from the canonical action; a value
    with a backtick or a special mention stays inside its code span in every mrkdwn text."""
    params = {"service": "api`<!channel>"}
    canonical = CanonicalAction("deploy", "http", {"method": "POST", "url": "u"}, params)
    approval = replace(REQUEST, params=params, canonical=canonical)
    texts = _mrkdwn(approval_blocks(approval, DEPLOY))
    assert "• *service*: `api'&lt;!channel&gt;`" in texts
    assert not any("<!channel>" in text for text in texts)
    assert approval_text(approval).endswith("deploy service=api`&lt;!channel&gt;")


def test_code_clips_long_text() -> None:
    """A long value is clipped, so a card stays within Slack's limits."""
    shown = code("x" * 1000, limit=10)
    assert shown == "`" + "x" * 9 + "…`"
