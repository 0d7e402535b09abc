"""The values the sandbox hands back: recorded Web API calls, deliveries and sent messages."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

__all__ = ["JSON", "ApiCall", "Delivery", "SentMessage", "SignatureMode", "Via"]

JSON = dict[str, Any]
"""A decoded JSON object, as Slack sends and receives it."""

Via = Literal["http", "socket"]
"""How a payload reaches the bot: signed HTTP POST to its request URL, or Socket Mode."""

SignatureMode = Literal["valid", "forged", "missing"]
"""How an HTTP delivery is signed: correctly, with a wrong HMAC, or not at all."""


@dataclass(frozen=True, slots=True)
class ApiCall:
    """One Web API call (or response_url post) the sandbox received, in arrival order.

    Attributes:
        method: The Web API method (``chat.postMessage``), or ``response_url``.
        args: The decoded arguments, without the token; JSON strings (``blocks``) decoded.
        token: The token it was made with, if any.
        status: The HTTP status answered; 0 when no answer was (or will be) sent.
        response: The JSON body answered (empty when none).
        at: ``time.monotonic()`` when it was recorded.
    """

    method: str
    args: Mapping[str, Any]
    token: str | None
    status: int
    response: Mapping[str, Any]
    at: float

    @property
    def ok(self) -> bool:
        """Whether Slack would call this call a success (HTTP 200 and ``ok: true``)."""
        return self.status == 200 and self.response.get("ok") is True


@dataclass(frozen=True, slots=True)
class Delivery:
    """The outcome of one payload delivered to the bot.

    Attributes:
        status: The HTTP status the bot answered; None for Socket Mode or no answer.
        body: The HTTP response body, or the raw Socket Mode ack.
        headers: The HTTP response headers (empty for Socket Mode).
        acked: True on an HTTP 2xx or a Socket Mode ack.
        ack_payload: The ``payload`` of a Socket Mode ack, if it carried one.
        elapsed: Seconds from sending to the answer (or to giving up).
        event_id: The Events API ``event_id``, for event deliveries.
        error: Why nothing was acked, in Slack's retry-reason words (``http_timeout``,
            ``connection_failed``, ``http_error``), else None.
    """

    status: int | None
    body: str
    headers: Mapping[str, str]
    acked: bool
    ack_payload: dict[str, Any] | None
    elapsed: float
    event_id: str | None
    error: str | None = None

    def json(self) -> Any:
        """The body decoded as JSON (raises ``ValueError`` when it is not JSON)."""
        return json.loads(self.body)


@dataclass(frozen=True, slots=True)
class SentMessage:
    """A human's message stored by :meth:`sandbox.people.People.say` and what it delivered.

    Attributes:
        ts: The message's ts.
        channel: The channel it was posted in.
        thread_ts: The thread it replied to, or None for a top-level message.
        deliveries: One per event Slack sent for it (``message``, then ``app_mention``).
    """

    ts: str
    channel: str
    thread_ts: str | None
    deliveries: tuple[Delivery, ...]
