"""Fixtures for every test: no real network call leaves the machine.

The LLM SDKs send through httpx (``httpx2`` for the current ``openai`` and ``anthropic``, plain
``httpx`` for older ones). Their real transports are patched for the whole session so a request
to any host but loopback fails at once, before name resolution, with the library's own
``ConnectError`` saying "network call to <host> blocked in tests" (so an SDK reports it as the
connection error it is, with that message as the cause). Loopback (the scripted LLM server,
the Slack sandbox) works as usual; test transports (``MockTransport``) and aiohttp are
untouched.
"""

from __future__ import annotations

import importlib
import ipaddress
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from sandbox.pagerduty_api import PagerDutyStandIn

_LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain"})


def _is_loopback(host: str) -> bool:
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _check(module: Any, request: Any) -> None:
    host = str(request.url.host)
    if not _is_loopback(host):
        raise module.ConnectError(f"network call to {host} blocked in tests", request=request)


def _guard(monkeypatch: pytest.MonkeyPatch, module_name: str) -> None:
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        return
    async_send = module.AsyncHTTPTransport.handle_async_request
    sync_send = module.HTTPTransport.handle_request

    async def handle_async_request(self: Any, request: Any) -> Any:
        _check(module, request)
        return await async_send(self, request)

    def handle_request(self: Any, request: Any) -> Any:
        _check(module, request)
        return sync_send(self, request)

    monkeypatch.setattr(module.AsyncHTTPTransport, "handle_async_request", handle_async_request)
    monkeypatch.setattr(module.HTTPTransport, "handle_request", handle_request)


@pytest.fixture(scope="session", autouse=True)
def _block_real_network() -> Iterator[None]:
    """Make any httpx request to a non-loopback host fail, for the whole session."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        for module_name in ("httpx2", "httpx"):
            _guard(monkeypatch, module_name)
        yield


@pytest.fixture(autouse=True)
def _logging_left_as_found(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A test that runs the CLI (``main`` configures logging for the process) must not leave
    its configuration behind: a logger cached on first use escapes
    ``structlog.testing.capture_logs`` in every later test, and a root handler on a closed
    capture stream fails every later log call. So loggers are never cached in tests, and
    structlog's configuration and the root logger are restored after each test."""
    import logging

    import structlog

    configure = structlog.configure

    def uncached(**settings: Any) -> None:
        configure(**{**settings, "cache_logger_on_first_use": False})

    monkeypatch.setattr(structlog, "configure", uncached)
    config = structlog.get_config()
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    configure(**config)
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.fixture
async def pd() -> AsyncIterator[PagerDutyStandIn]:
    """The PagerDuty stand-in on an ephemeral loopback port."""
    async with PagerDutyStandIn() as stand_in:
        yield stand_in
