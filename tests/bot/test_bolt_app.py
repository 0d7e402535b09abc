"""The Bolt app as ``bolt_app`` builds it: what its start says in the log."""

from __future__ import annotations

import logging

import pytest
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.logger import get_bolt_logger
from slack_bolt.logger.messages import warning_token_skipped
from slack_sdk.web.async_client import AsyncWebClient

from bot.app import bolt_app
from bot.config import load_settings


async def test_one_workspace_starts_without_bolts_token_notice(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """One workspace gives Bolt a client with the bot's token and an ``authorize``: Bolt's
    warning that the token is ignored is expected there and not logged; its other warnings
    still are."""
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1-test")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "secret")
    settings = load_settings()
    client = AsyncWebClient(token="xoxb-1-test")
    with caplog.at_level(logging.WARNING):
        bolt_app(settings, client, socket_mode=False)
        bolt_app(settings, client, socket_mode=False)  # the filter is added once
        get_bolt_logger(AsyncApp).warning("another warning")
    messages = [record.getMessage() for record in caplog.records]
    assert warning_token_skipped() not in messages
    assert "another warning" in messages
