"""Bad input from the network: rejected or quietly ignored, nothing stored, nothing posted."""

from __future__ import annotations

import time

import aiohttp
import pytest
import sqlalchemy as sa
from structlog.testing import capture_logs

from sandbox import SlackSandbox
from tests.e2e.conftest import Bot

MENTION = {
    "type": "app_mention",
    "user": "U0ALICE",
    "text": "<@U0BOT> help",
    "ts": "1700000000.000100",
    "channel": "C0GENERAL",
}


async def _nothing_happened(sandbox: SlackSandbox, bot: Bot) -> None:
    await bot.idle()
    assert [c.method for c in sandbox.calls.all() if c.method != "auth.test"] == []
    async with bot.runtime.database.engine.connect() as conn:
        for table in ("events", "messages", "traces"):
            count = (await conn.execute(sa.text(f"SELECT count(*) FROM {table}"))).scalar_one()  # noqa: S608
            assert count == 0, table
    async with aiohttp.ClientSession() as http, http.get(f"{bot.url}/healthz") as response:
        assert response.status == 200  # the server stays up


@pytest.mark.parametrize("signature", ["forged", "missing"])
async def test_bad_signature_is_401(sandbox: SlackSandbox, bot: Bot, signature: str) -> None:
    """A forged or missing signature: 401, a log line, no Web API call, nothing stored."""
    with capture_logs() as logs:
        delivery = await sandbox.driver.send_event(MENTION, signature=signature)  # type: ignore[arg-type]
    assert delivery.status == 401
    assert any(e["event"] == "slack_request_rejected" for e in logs)
    await _nothing_happened(sandbox, bot)


async def test_stale_timestamp_is_401(sandbox: SlackSandbox, bot: Bot) -> None:
    """A correctly signed request older than five minutes is a replay: 401."""
    delivery = await sandbox.driver.send_event(MENTION, timestamp=int(time.time()) - 10 * 60)
    assert delivery.status == 401
    await _nothing_happened(sandbox, bot)


async def test_malformed_json_is_400(sandbox: SlackSandbox, bot: Bot) -> None:
    """A signed body that is not JSON: 400 and a log line, not a 500."""
    with capture_logs() as logs:
        delivery = await sandbox.driver.post_raw(b'{"type": "event_callback", "event": ')
    assert delivery.status == 400
    assert any(e.get("reason") == "malformed_body" for e in logs)
    await _nothing_happened(sandbox, bot)


async def test_forged_malformed_body_is_401_not_400(sandbox: SlackSandbox, bot: Bot) -> None:
    """Malformed and unsigned: the signature is judged first (no oracle for forgers)."""
    delivery = await sandbox.driver.post_raw(b"{not json", signature="forged")
    assert delivery.status == 401
    await _nothing_happened(sandbox, bot)


async def test_json_that_is_not_an_object_is_400(sandbox: SlackSandbox, bot: Bot) -> None:
    """A signed JSON array is malformed for Slack: 400."""
    delivery = await sandbox.driver.post_raw(b"[1, 2, 3]")
    assert delivery.status == 400
    await _nothing_happened(sandbox, bot)


async def test_unknown_event_type_is_acked_quietly(sandbox: SlackSandbox, bot: Bot) -> None:
    """An event type we do not handle is acked 200 (so Slack does not retry) and dropped."""
    delivery = await sandbox.driver.send_event(
        {"type": "reaction_added", "user": "U0ALICE", "reaction": "tada", "event_ts": "1.2"}
    )
    assert delivery.status == 200
    await _nothing_happened(sandbox, bot)


async def test_event_missing_fields_is_acked_quietly(sandbox: SlackSandbox, bot: Bot) -> None:
    """An app_mention without channel or ts: 200, a warning, nothing stored or posted."""
    with capture_logs() as logs:
        delivery = await sandbox.driver.send_event(
            {"type": "app_mention", "user": "U0ALICE", "text": "hi"}
        )
    assert delivery.status == 200
    assert any(e["event"] == "payload_malformed" for e in logs)
    await _nothing_happened(sandbox, bot)


async def test_url_verification_handshake(sandbox: SlackSandbox, bot: Bot) -> None:
    """Slack's url_verification challenge is echoed back."""
    delivery = await sandbox.driver.verify_url("challenge-123")
    assert delivery.status == 200
    assert "challenge-123" in delivery.body
