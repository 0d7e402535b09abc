"""Hostile input over Socket Mode (issue 15): a malformed envelope is acked and dropped with
one log line, and the socket keeps serving."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from structlog.testing import capture_logs

from sandbox import SlackSandbox
from tests.e2e.conftest import running_bot

_VIEW = {"type": "view_submission", "user": {"id": "U0ALICE"}, "view": {"callback_id": "x"}}

MALFORMED: list[tuple[str, str, Any]] = [
    ("payload a string", "events_api", "hello"),
    ("event a list", "events_api", {"type": "event_callback", "event": [1]}),
    ("event type not text", "events_api", {"type": "event_callback", "event": {"type": {}}}),
    ("no type", "interactive", {"user": {"id": "U0ALICE"}}),
    ("view without type", "interactive", _VIEW),
    ("actions not a list", "interactive", {"type": "block_actions", "actions": "x"}),
    ("command not text", "slash_commands", {"command": 5}),
]


@pytest.mark.parametrize(
    ("kind", "payload"), [c[1:] for c in MALFORMED], ids=[c[0] for c in MALFORMED]
)
async def test_malformed_envelope_is_acked_and_the_socket_keeps_serving(
    sandbox: SlackSandbox, database_url: str, kind: str, payload: Any
) -> None:
    """Acked (so Slack does not redeliver it), one warning, no error; a mention sent next is
    answered."""
    async with running_bot(sandbox, database_url, socket_mode=True) as bot:
        envelope = {"envelope_id": str(uuid.uuid4()), "type": kind, "payload": payload}
        with capture_logs() as logs:
            ack = await sandbox.socket.send(envelope, ack_timeout=5)
        assert ack.acked, ack.error
        assert [e["event"] for e in logs if e["log_level"] != "debug"] == ["slack_request_rejected"]
        sent = await sandbox.people.say("<@U0BOT> help", via="socket")
        assert all(d.acked for d in sent.deliveries)
        await sandbox.calls.wait_for("chat.postMessage")
        await bot.idle()
