"""Delivering payloads to the bot over HTTP: signed POSTs on one shared client session."""

from __future__ import annotations

import time
from collections.abc import Mapping

import aiohttp

from sandbox.records import Delivery, SignatureMode
from sandbox.signing import Signer

__all__ = ["HttpDeliverer"]

USER_AGENT = "Slackbot 1.0 (+https://api.slack.com/robots)"


class HttpDeliverer:
    """POSTs signed payloads to the bot's request URL.

    Args:
        signer: Signs each body with the app's signing secret.
        timeout: Seconds to wait for the bot's answer (Slack waits 3).
        max_connections: Connections kept to the bot at once.
    """

    def __init__(self, signer: Signer, *, timeout: float = 3.0, max_connections: int = 256) -> None:
        self._signer = signer
        self._timeout = timeout
        self._max_connections = max_connections
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        """Open the client session (inside the running event loop)."""
        if self._session is None:
            connector = aiohttp.TCPConnector(limit=self._max_connections)
            self._session = aiohttp.ClientSession(
                connector=connector, timeout=aiohttp.ClientTimeout(total=self._timeout)
            )

    async def close(self) -> None:
        """Close the client session and its connections."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def post(
        self,
        url: str,
        body: bytes,
        *,
        content_type: str,
        signature: SignatureMode = "valid",
        timestamp: int | None = None,
        extra_headers: Mapping[str, str] | None = None,
        event_id: str | None = None,
    ) -> Delivery:
        """POST ``body`` to ``url`` as Slack would and report what the bot answered.

        Raises:
            RuntimeError: :meth:`start` was not called (or the sandbox is closed).
        """
        if self._session is None:
            raise RuntimeError("the sandbox is not running: call start() first")
        headers = {"Content-Type": content_type, "User-Agent": USER_AGENT}
        headers.update(self._signer.headers(body, mode=signature, timestamp=timestamp))
        if extra_headers:
            headers.update(extra_headers)
        started = time.monotonic()
        try:
            async with self._session.post(url, data=body, headers=headers) as response:
                raw = await response.read()
                status, answer_headers = response.status, dict(response.headers)
        except TimeoutError:
            return self._failed("http_timeout", started, event_id)
        except aiohttp.ClientError:
            return self._failed("connection_failed", started, event_id)
        acked = 200 <= status < 300
        return Delivery(
            status=status,
            body=raw.decode("utf-8", errors="replace"),
            headers=answer_headers,
            acked=acked,
            ack_payload=None,
            elapsed=time.monotonic() - started,
            event_id=event_id,
            error=None if acked else "http_error",
        )

    @staticmethod
    def _failed(error: str, started: float, event_id: str | None) -> Delivery:
        return Delivery(
            status=None,
            body="",
            headers={},
            acked=False,
            ack_payload=None,
            elapsed=time.monotonic() - started,
            event_id=event_id,
            error=error,
        )
