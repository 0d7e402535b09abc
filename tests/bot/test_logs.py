"""Logging set-up: the SDKs' own loggers."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest
import structlog
from slack_sdk.web.async_client import AsyncWebClient

from bot.logs import configure_logging


@pytest.fixture
def restored() -> Iterator[None]:
    """Put logging back as it was after the test."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    names = ("slack_sdk", "slack_sdk.web.async_base_client", "slack_sdk.web.base_client")
    levels = {name: logging.getLogger(name).level for name in names}
    try:
        yield
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        for name, old in levels.items():
            logging.getLogger(name).setLevel(old)
        structlog.reset_defaults()


@pytest.mark.parametrize("level", ["debug", "info", "warning"])
def test_the_web_api_client_never_formats_request_bodies_it_will_not_log(
    level: str, restored: None
) -> None:
    """slack_sdk's client builds its debug lines (whole request and response bodies) when its
    own logger's level is at most DEBUG; after set-up that logger has a level of its own,
    above DEBUG, whatever the configured level."""
    configure_logging(fmt="json", level=level, stream=io.StringIO())
    client = AsyncWebClient(token="xoxb-test")
    assert client._logger.level > logging.DEBUG  # what the SDK tests, not the effective level
