"""PagerDuty V3 webhooks at the edge: the ``X-PagerDuty-Signature`` check and the payload
read into :class:`~agents.incidents.pagerduty_news.PagerDutyNews`. Pure functions.

The signature (PagerDuty's "Verifying Signatures"): the header holds one or more
comma-separated signatures, several while a secret is rotated; each ``v1=`` one is the hex
HMAC-SHA256 of the raw body under a signing secret. A delivery is authentic when any ``v1``
signature matches any of our secrets (compared in constant time). Nothing in the body is read
before that.

PagerDuty signs no timestamp, so a captured delivery could be sent again: one whose event
already reached the incident is deduplicated by its event id (the domain's job), and one
whose ``occurred_at`` is older than ``max_age`` (or well in the future) is refused here.
PagerDuty retries a delivery for about 20 minutes, so the default hour lets every genuine
retry in.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, StringConstraints, ValidationError

from agents.incidents.pagerduty_news import HANDLED_EVENTS, PagerDutyNews

__all__ = [
    "SIGNATURE_HEADER",
    "Ignored",
    "Refused",
    "SignatureVerdict",
    "read_news",
    "sign",
    "verify_signature",
]

SIGNATURE_HEADER = "X-PagerDuty-Signature"
_FUTURE_SKEW = timedelta(minutes=5)
SignatureVerdict = Literal["authentic", "missing", "forged"]


def sign(body: bytes, secret: str) -> str:
    """The ``v1=`` signature of ``body`` under ``secret``."""
    return "v1=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify_signature(body: bytes, header: str | None, secrets: Sequence[str]) -> SignatureVerdict:
    """Whether some ``v1`` signature in ``header`` is ``body``'s under one of ``secrets``
    (``missing``: no header, or no ``v1`` signature in it)."""
    offered = [part.strip() for part in (header or "").split(",")]
    versioned = [part.encode("utf-8", "replace") for part in offered if part.startswith("v1=")]
    if not versioned:
        return "missing"
    expected = [sign(body, secret).encode() for secret in secrets]
    matched = False
    for mine in expected:
        for theirs in versioned:
            matched |= hmac.compare_digest(mine, theirs)  # no early exit: constant time
    return "authentic" if matched else "forged"


@dataclass(frozen=True, slots=True)
class Refused:
    """A delivery refused after its signature passed (its status is a 4xx)."""

    reason: Literal["malformed_body", "stale", "from_the_future"]
    status: int = 400


@dataclass(frozen=True, slots=True)
class Ignored:
    """A well-formed event that is about nothing we handle (acknowledged with a 2xx)."""

    event_id: str
    event_type: str


_Text = Annotated[str, StringConstraints(min_length=1, max_length=255)]


class _Wire(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class _Ref(_Wire):
    summary: str | None = None


_LINK = re.compile(r"^https://[^\s<>|]{1,500}$")


class _Incident(_Wire):
    incident_key: str | None = None
    number: int | None = None
    html_url: str | None = None
    assignees: list[_Ref] = []


class _Event(_Wire):
    id: _Text
    event_type: _Text
    resource_type: _Text
    occurred_at: datetime
    agent: _Ref | None = None
    data: dict[str, object] | None = None


class _Envelope(_Wire):
    event: _Event


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def read_news(
    body: bytes, *, now: datetime, max_age: timedelta
) -> PagerDutyNews | Ignored | Refused:
    """The event of an authentic delivery: news about an incident, an event we ignore, or
    why it is refused (not a V3 payload; too old or in the future: a replay)."""
    try:
        event = _Envelope.model_validate(json.loads(body)).event
    except (ValueError, ValidationError):  # JSONDecodeError and UnicodeDecodeError included
        return Refused("malformed_body")
    occurred = _aware(event.occurred_at)
    if occurred < now - max_age:
        return Refused("stale")
    if occurred > now + _FUTURE_SKEW:
        return Refused("from_the_future")
    if event.resource_type != "incident" or event.event_type not in HANDLED_EVENTS:
        return Ignored(event.id, event.event_type)
    try:
        incident = _Incident.model_validate(event.data or {})
    except ValidationError:
        return Refused("malformed_body")
    if not incident.incident_key:
        return Ignored(event.id, event.event_type)
    return PagerDutyNews(
        event_id=event.id,
        event_type=event.event_type,
        occurred_at=occurred,
        incident_key=incident.incident_key,
        number=incident.number,
        html_url=incident.html_url if _LINK.match(incident.html_url or "") else None,
        agent=event.agent.summary if event.agent else None,
        assignees=tuple(a.summary for a in incident.assignees if a.summary),
    )
