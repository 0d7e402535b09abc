"""Hostile input at the edge (issue 15): a correctly signed but malformed request gets a 4xx
and one log line without its body; a well-formed one the app ignores gets the empty 200 Slack
expects; none gets a 500 (which Slack would retry), and the server stays up."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest
from structlog.testing import capture_logs

from sandbox import SlackSandbox
from tests.e2e.conftest import Bot

FORM = "application/x-www-form-urlencoded"
JSON_TYPE = "application/json"
NESTING = 100_000


def _form(fields: dict[str, str]) -> bytes:
    return urlencode(fields).encode()


def _interaction(payload: object) -> bytes:
    return _form({"payload": json.dumps(payload)})


def _event(event: object, **envelope: object) -> bytes:
    body = {"type": "event_callback", "team_id": "T0TEAM", "event_id": "Ev0X", "event": event}
    body.update(envelope)
    return json.dumps(body).encode()


_USER = {"id": "U0ALICE", "team_id": "T0TEAM"}
_VIEW = {"id": "V0NEVER", "type": "modal", "callback_id": "approval_reject_modal"}
_MENTION = {"type": "app_mention", "user": "U0ALICE", "text": "hi", "channel": "C0GENERAL"}

# (name, body, content type, status)
MALFORMED: list[tuple[str, bytes, str, int]] = [
    ("empty body", b"", JSON_TYPE, 400),
    ("empty form", b"", FORM, 400),
    ("json not utf-8", b'{"type": "event_callback", "x": "\xff\xfe"}', JSON_TYPE, 400),
    (
        "json in latin-1",
        '{"type": "url_verification", "challenge": "é"}'.encode("latin-1"),
        JSON_TYPE,
        400,
    ),
    ("command form not utf-8", b"command=%2Fops&text=\xff\xfe&trigger_id=t", FORM, 400),
    (
        "interaction form not utf-8",
        b"payload=%7B%22type%22%3A%22block_actions%22\xff%7D",
        FORM,
        400,
    ),
    ("invalid json", b'{"type": ', JSON_TYPE, 400),
    ("deeply nested arrays", b"[" * NESTING + b"]" * NESTING, JSON_TYPE, 400),
    ("deeply nested objects", b'{"a":' * NESTING + b"1" + b"}" * NESTING, JSON_TYPE, 400),
    (
        "deeply nested event",
        b'{"type":"event_callback","event":' + b"[" * NESTING + b"]" * NESTING + b"}",
        JSON_TYPE,
        400,
    ),
    (
        "nested under the recursion limit",
        _event({**_MENTION, "x": json.loads("[" * 500 + "]" * 500)}),
        JSON_TYPE,
        400,
    ),
    ("deeply nested interaction", _form({"payload": "[" * NESTING + "]" * NESTING}), FORM, 400),
    ("json string", b'"hello"', JSON_TYPE, 400),
    ("json null", b"null", JSON_TYPE, 400),
    ("json number", b"12", JSON_TYPE, 400),
    ("json array", b"[1, 2, 3]", JSON_TYPE, 400),
    ("no type", b'{"event": {"type": "app_mention"}}', JSON_TYPE, 400),
    ("type not a string", b'{"type": ["event_callback"]}', JSON_TYPE, 400),
    ("event not an object", _event("app_mention"), JSON_TYPE, 400),
    ("event a list", _event([1, 2]), JSON_TYPE, 400),
    ("event without type", _event({"channel": "C0GENERAL"}), JSON_TYPE, 400),
    ("event type not a string", _event({"type": {"a": 1}, "channel": "C0GENERAL"}), JSON_TYPE, 400),
    (
        "event fields of the wrong types",
        _event({"type": "app_mention", "user": 7, "channel": {}, "ts": 1.5}),
        JSON_TYPE,
        400,
    ),
    ("thread_ts not a string", _event({**_MENTION, "ts": "1.2", "thread_ts": 5}), JSON_TYPE, 400),
    ("team_id not a string", _event({**_MENTION, "ts": "1.2"}, team_id=5), JSON_TYPE, 400),
    (
        "authorizations an object",
        _event({**_MENTION, "ts": "1.2"}, authorizations={"a": 1}),
        JSON_TYPE,
        400,
    ),
    (
        "assistant_thread not an object",
        _event({"type": "assistant_thread_started", "assistant_thread": "x"}),
        JSON_TYPE,
        400,
    ),
    ("url_verification without challenge", b'{"type": "url_verification"}', JSON_TYPE, 400),
    (
        "url_verification challenge not text",
        b'{"type": "url_verification", "challenge": {"a": 1}}',
        JSON_TYPE,
        400,
    ),
    ("form without command or payload", _form({"text": "hi"}), FORM, 400),
    ("interaction not json", _form({"payload": "{not json"}), FORM, 400),
    ("interaction a json list", _interaction([1, 2]), FORM, 400),
    ("interaction without type", _interaction({"user": _USER}), FORM, 400),
    (
        "block_actions without actions",
        _interaction({"type": "block_actions", "user": _USER}),
        FORM,
        400,
    ),
    (
        "block_actions with no action",
        _interaction({"type": "block_actions", "user": _USER, "actions": []}),
        FORM,
        400,
    ),
    (
        "block_actions actions not a list",
        _interaction({"type": "block_actions", "user": _USER, "actions": "x"}),
        FORM,
        400,
    ),
    (
        "block_actions action_id not text",
        _interaction({"type": "block_actions", "user": "U0", "actions": [{"action_id": 5}]}),
        FORM,
        400,
    ),
    (
        "view_submission without view",
        _interaction({"type": "view_submission", "user": _USER}),
        FORM,
        400,
    ),
    (
        "view_submission view not an object",
        _interaction({"type": "view_submission", "user": _USER, "view": "x"}),
        FORM,
        400,
    ),
    (
        "view_submission view without type",
        _interaction(
            {"type": "view_submission", "user": _USER, "view": {"id": "V0", "callback_id": "x"}}
        ),
        FORM,
        400,
    ),
    (
        "view_closed without callback_id",
        _interaction({"type": "view_closed", "user": _USER, "view": {"type": "modal"}}),
        FORM,
        400,
    ),
    ("shortcut without callback_id", _interaction({"type": "shortcut", "user": _USER}), FORM, 400),
    (
        "response_urls not a list",
        _interaction({"type": "view_submission", "user": _USER, "view": _VIEW, "response_urls": 5}),
        FORM,
        400,
    ),
    ("form with json content type", _form({"command": "/ops", "trigger_id": "t"}), JSON_TYPE, 400),
    ("text content type", b"hello", "text/plain", 415),
    ("binary content type", bytes(range(256)), "application/octet-stream", 415),
    (
        "json as multipart",
        b'{"type": "url_verification", "challenge": "c"}',
        "multipart/form-data",
        415,
    ),
]

IGNORED: list[tuple[str, bytes, str]] = [
    ("command empty", _form({"command": ""}), FORM),
    ("command without a slash", _form({"command": "ops", "trigger_id": "t"}), FORM),
    ("command form percent-encoding not utf-8", b"command=%2Fops&text=%FF%FE&trigger_id=t", FORM),
    ("interaction percent-encoding not utf-8", b"payload=%7B%22type%22%3A%22%FF%22%7D", FORM),
    (
        "message with odd but typed fields",
        _event({"type": "message", "user": None, "text": 3, "channel": "C0GENERAL", "ts": "1.2"}),
        JSON_TYPE,
    ),
    (
        "message_changed without message",
        _event({"type": "message", "subtype": "message_changed", "channel": "C0GENERAL"}),
        JSON_TYPE,
    ),
    ("app_home_opened without user", _event({"type": "app_home_opened", "tab": "home"}), JSON_TYPE),
    ("agent_session_stopped without fields", _event({"type": "agent_session_stopped"}), JSON_TYPE),
    (
        "assistant_thread_started without thread",
        _event({"type": "assistant_thread_started"}),
        JSON_TYPE,
    ),
    ("unknown event type", _event({"type": "team_rename", "name": "x"}), JSON_TYPE),
    (
        "app_rate_limited",
        b'{"type": "app_rate_limited", "team_id": "T0TEAM", "minute_rate_limited": 1}',
        JSON_TYPE,
    ),
    ("unknown command", _form({"command": "/nope", "text": "x", "trigger_id": "t"}), FORM),
    ("/ops without trigger", _form({"command": "/ops"}), FORM),
    ("duplicate form keys", b"command=/ops&command=/x&trigger_id=t", FORM),
    ("unknown interaction type", _interaction({"type": "something_new", "user": _USER}), FORM),
    (
        "dialog_submission",
        _interaction({"type": "dialog_submission", "callback_id": "x", "user": _USER}),
        FORM,
    ),
    (
        "block_actions for an approval that does not exist",
        _interaction(
            {
                "type": "block_actions",
                "user": _USER,
                "team": {"id": "T0TEAM"},
                "trigger_id": "t",
                "actions": [{"action_id": "approval_approve", "value": "nope"}],
            }
        ),
        FORM,
    ),
    (
        "block_actions value not text",
        _interaction(
            {
                "type": "block_actions",
                "user": _USER,
                "actions": [{"action_id": "approval_approve", "value": {"x": 1}}],
                "container": [],
            }
        ),
        FORM,
    ),
    (
        "block_actions unknown action",
        _interaction(
            {
                "type": "block_actions",
                "user": _USER,
                "actions": [{"action_id": "nope", "value": "1"}],
            }
        ),
        FORM,
    ),
    (
        "view_submission for a reject form never opened",
        _interaction(
            {"type": "view_submission", "user": _USER, "team": {"id": "T0TEAM"}, "view": _VIEW}
        ),
        FORM,
    ),
    (
        "view_submission for an edit form never opened",
        _interaction(
            {
                "type": "view_submission",
                "user": _USER,
                "view": {
                    **_VIEW,
                    "callback_id": "approval_edit_modal",
                    "private_metadata": '{"approval_id": "nope"}',
                },
            }
        ),
        FORM,
    ),
    (
        "view_submission for a feedback form never opened",
        _interaction(
            {
                "type": "view_submission",
                "user": _USER,
                "view": {**_VIEW, "callback_id": "feedback_modal", "private_metadata": "[1]"},
            }
        ),
        FORM,
    ),
    (
        "view_submission with odd inputs",
        _interaction(
            {
                "type": "view_submission",
                "user": _USER,
                "view": {**_VIEW, "state": {"values": {"a": 5}}, "private_metadata": "{"},
            }
        ),
        FORM,
    ),
    (
        "view_submission unknown callback",
        _interaction(
            {"type": "view_submission", "user": _USER, "view": {**_VIEW, "callback_id": "mystery"}}
        ),
        FORM,
    ),
    (
        "view_closed",
        _interaction({"type": "view_closed", "user": _USER, "view": _VIEW, "is_cleared": False}),
        FORM,
    ),
    (
        "global shortcut",
        _interaction({"type": "shortcut", "callback_id": "x", "user": _USER, "trigger_id": "t"}),
        FORM,
    ),
    (
        "message shortcut",
        _interaction({"type": "message_action", "callback_id": "x", "user": _USER, "message": {}}),
        FORM,
    ),
    (
        "block_suggestion",
        _interaction({"type": "block_suggestion", "action_id": "x", "user": _USER, "value": "a"}),
        FORM,
    ),
    ("json with form content type", b'{"type": "url_verification", "challenge": "c"}', FORM),
]


def _secrets_in(logs: list[dict[str, Any]], sandbox: SlackSandbox) -> list[str]:
    text = json.dumps(logs, default=str)
    return [s for s in (sandbox.signing_secret, sandbox.bot_token) if s in text]


async def _still_up(bot: Bot) -> None:
    await bot.idle()
    async with aiohttp.ClientSession() as http, http.get(f"{bot.url}/healthz") as response:
        assert response.status == 200


@pytest.mark.parametrize(
    ("body", "content_type", "status"), [c[1:] for c in MALFORMED], ids=[c[0] for c in MALFORMED]
)
async def test_signed_malformed_request_is_refused_with_one_log_line(
    sandbox: SlackSandbox, bot: Bot, body: bytes, content_type: str, status: int
) -> None:
    """A signed request Slack would never send: a 4xx, one warning without the body, no
    error, nothing posted, the server up."""
    with capture_logs() as logs:
        delivery = await sandbox.driver.post_raw(body, content_type=content_type)
    assert delivery.status == status, delivery.body[:200]
    await _still_up(bot)
    rejected = [e for e in logs if e["event"] == "slack_request_rejected"]
    assert len(rejected) == 1, logs
    assert set(rejected[0]) <= {"event", "log_level", "reason", "status"}
    assert not [e for e in logs if e["log_level"] in {"error", "critical"}], logs
    assert [c.method for c in sandbox.calls.all() if c.method != "auth.test"] == []


@pytest.mark.parametrize(
    ("body", "content_type"), [c[1:] for c in IGNORED], ids=[c[0] for c in IGNORED]
)
async def test_signed_request_the_app_ignores_is_acked(
    sandbox: SlackSandbox, bot: Bot, body: bytes, content_type: str
) -> None:
    """A well-formed request no listener wants (or one whose odd fields a listener refuses):
    the empty 200 Slack expects, so it does not retry; no error logged; the server up."""
    with capture_logs() as logs:
        delivery = await sandbox.driver.post_raw(body, content_type=content_type)
    assert delivery.status == 200, delivery.body[:200]
    await _still_up(bot)
    assert not [e for e in logs if e["log_level"] in {"error", "critical"}], logs
    assert _secrets_in(logs, sandbox) == []


@pytest.mark.parametrize(
    "body",
    [
        b'{"type": "event_callback", "x": "\xff"}',
        b"[" * NESTING + b"]" * NESTING,
        b"",
        b'{"type": ["event_callback"]}',
    ],
    ids=["not utf-8", "deeply nested", "empty", "malformed envelope"],
)
@pytest.mark.parametrize("signature", ["forged", "missing"])
async def test_unsigned_malformed_request_is_401(
    sandbox: SlackSandbox, bot: Bot, body: bytes, signature: str
) -> None:
    """Malformed and not correctly signed: 401 before the body is judged (no oracle)."""
    delivery = await sandbox.driver.post_raw(body, signature=signature)  # type: ignore[arg-type]
    assert delivery.status == 401
    await _still_up(bot)


# The sandbox posts bytes as Slack would; aiohttp's client warns about a body this large.
@pytest.mark.filterwarnings("ignore:Sending a large body directly:ResourceWarning")
async def test_signed_body_over_the_cap_is_413(sandbox: SlackSandbox, bot: Bot) -> None:
    """Slack's bodies are small: one over a megabyte is refused unread with a 413."""
    body = _event({**_MENTION, "ts": "1.2", "text": "x" * (1024 * 1024)})
    with capture_logs() as logs:
        delivery = await sandbox.driver.post_raw(body)
    assert delivery.status == 413
    assert [e["reason"] for e in logs if e["event"] == "slack_request_rejected"] == ["too_large"]
    await _still_up(bot)


@pytest.mark.parametrize("stamp", ["soon", "", "1e3", "-"])
async def test_timestamp_that_is_not_a_number_is_401(
    sandbox: SlackSandbox, bot: Bot, stamp: str
) -> None:
    """A request timestamp header that is not a number cannot be fresh: 401, not a 500."""
    body = _event({**_MENTION, "ts": "1.2"})
    headers = {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": "v0=00"}
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            f"{bot.url}/slack/events",
            data=body,
            headers={**headers, "Content-Type": JSON_TYPE},
        ) as response,
    ):
        assert response.status == 401
    await _still_up(bot)
