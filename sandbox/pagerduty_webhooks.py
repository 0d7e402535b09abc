"""The PagerDuty stand-in's V3 webhooks, written from PagerDuty's "Webhooks v3 Overview",
"Verifying Signatures" and "Behavior" pages.

A subscription is a URL and its signing secrets. Each webhook is one event
``{"event": {id, event_type, resource_type, occurred_at, agent, client, data}}`` POSTed as
JSON with ``X-PagerDuty-Signature`` (``v1=<hex HMAC-SHA256 of the body>`` per secret,
comma-separated, several while a secret rotates), ``X-Webhook-Id`` (the same on every
delivery attempt) and ``X-Webhook-Subscription``. Deliveries run in the background, as
PagerDuty's do; :meth:`WebhookSender.wait_for` awaits them, and :meth:`WebhookSender.post`
sends any body (a replay, a forgery, a malformed one) with the signature given.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import aiohttp

__all__ = ["Delivery", "WebhookSender", "signature_of"]

JSON = dict[str, Any]


def signature_of(body: bytes, secrets: list[str]) -> str:
    """The ``X-PagerDuty-Signature`` value for ``body``: one ``v1=`` per secret."""
    return ",".join(
        "v1=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest() for secret in secrets
    )


@dataclass(frozen=True, slots=True)
class Delivery:
    """One webhook delivery attempt and the status the receiver answered (0: no answer)."""

    body: bytes
    headers: dict[str, str]
    status: int

    @property
    def event(self) -> JSON:
        """The delivered event (``{}`` if the body was none)."""
        try:
            return dict(json.loads(self.body)["event"])
        except (ValueError, KeyError, TypeError):
            return {}


@dataclass
class WebhookSender:
    """One webhook subscription (URL and secrets) and what was delivered to it."""

    url: str | None = None
    secrets: list[str] = field(default_factory=list)
    subscription_id: str = "PSUB001"
    deliveries: list[Delivery] = field(default_factory=list)
    _tasks: set[asyncio.Task[int]] = field(default_factory=set)
    _session: aiohttp.ClientSession | None = None
    _sent: asyncio.Condition = field(default_factory=asyncio.Condition)

    def subscribe(self, url: str, secrets: list[str]) -> None:
        """Deliver every later event to ``url``, signed with each of ``secrets``."""
        self.url, self.secrets = url, list(secrets)

    def emit(self, event_type: str, data: JSON, *, agent: JSON | None) -> JSON | None:
        """Deliver an incident event in the background (nothing without a subscription);
        the event."""
        if self.url is None:
            return None
        event = {
            "id": uuid.uuid4().hex,
            "event_type": event_type,
            "resource_type": "incident",
            "occurred_at": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "agent": agent,
            "client": None,
            "data": data,
        }
        body = json.dumps({"event": event}).encode()
        task = asyncio.create_task(self.post(body))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return event

    async def post(
        self, body: bytes, *, signature: str | None = None, webhook_id: str | None = None
    ) -> int:
        """POST ``body`` to the subscription (signed with its secrets unless ``signature``
        is given); the status answered."""
        if self.url is None:
            raise RuntimeError("no webhook subscription")
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "PagerDuty-Webhook/V3.0",
            "X-PagerDuty-Signature": signature
            if signature is not None
            else signature_of(body, self.secrets),
            "X-Webhook-Id": webhook_id or uuid.uuid4().hex,
            "X-Webhook-Subscription": self.subscription_id,
        }
        if self._session is None:
            self._session = aiohttp.ClientSession()
        try:
            async with self._session.post(self.url, data=body, headers=headers) as response:
                status = response.status
        except aiohttp.ClientError:
            status = 0
        async with self._sent:
            self.deliveries.append(Delivery(body, headers, status))
            self._sent.notify_all()
        return status

    async def wait_for(self, count: int, *, timeout: float = 10.0) -> list[Delivery]:
        """Await until ``count`` deliveries were answered; all of them."""
        async with asyncio.timeout(timeout), self._sent:
            await self._sent.wait_for(lambda: len(self.deliveries) >= count)
        return list(self.deliveries)

    async def close(self) -> None:
        """Finish deliveries under way and close the HTTP session."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._session is not None:
            await self._session.close()
