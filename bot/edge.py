"""What a request to ``POST /slack/events`` must pass before Bolt dispatches it.

In order: the signature (401: nothing about a forged request's body is judged, so a forger
learns nothing about our parser), the content type Slack sends (415), UTF-8 (400), a body
Bolt can parse (400) and the envelope shape of :mod:`handlers.envelope` (400). The size
cap (413) is enforced earlier, while reading, by the aiohttp application.

Bolt verifies the signature again when it dispatches; the check here exists so that the
rejections above come after it, never before.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.signature import SignatureVerifier

from handlers.envelope import envelope_kind

__all__ = ["MAX_BODY", "Rejection", "RejectionReason", "SignatureCheck", "admit"]

MAX_BODY = 1024 * 1024
"""Largest request body read (413 beyond). Slack's largest, a view submission carrying
every input of a 100-block modal, stays well under it."""

RejectionReason = Literal[
    "invalid_signature",
    "too_large",
    "not_utf8",
    "unsupported_media_type",
    "malformed_body",
]

_CONTENT_TYPES = frozenset({"application/json", "application/x-www-form-urlencoded"})


@dataclass(frozen=True, slots=True)
class Rejection:
    """Why a request is refused, and the status that says so."""

    reason: RejectionReason
    status: int


class _BytesVerifier(SignatureVerifier):
    """The SDK's verifier (freshness window, constant-time comparison), signing the bytes
    as received: the SDK decodes them as UTF-8 first, which raises on a body that is not
    (Slack signs bytes, so such a body can still be correctly signed)."""

    def generate_signature(self, *, timestamp: str, body: str | bytes) -> str | None:
        raw = body.encode() if isinstance(body, str) else body
        base = b"v0:" + timestamp.encode() + b":" + raw
        digest = hmac.new(self.signing_secret.encode(), base, hashlib.sha256).hexdigest()
        return f"v0={digest}"


class SignatureCheck:
    """Whether a body carries the app's signature; every body passes without a secret
    (Socket Mode, where this endpoint is not served)."""

    def __init__(self, signing_secret: str | None) -> None:
        self._verifier = None if signing_secret is None else _BytesVerifier(signing_secret)

    def __call__(self, raw: bytes, headers: Mapping[str, str]) -> bool:
        """True for a fresh, correct signature over ``raw``."""
        if self._verifier is None:
            return True
        try:
            return self._verifier.is_valid_request(raw, dict(headers))
        except ValueError:  # a timestamp header that is not a number
            return False


def _parsed(raw: bytes, *, query: str, headers: Mapping[str, str]) -> AsyncBoltRequest | Rejection:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return Rejection("not_utf8", 400)
    try:
        # Bolt parses the body and reads its routing fields; on a body Slack would never
        # send that raises whatever the parser or a lookup raises (JSON nested past the
        # recursion limit included).
        request = AsyncBoltRequest(body=text, query=query, headers=dict(headers))
    except (ValueError, TypeError, AttributeError, LookupError, RecursionError):
        return Rejection("malformed_body", 400)
    if not isinstance(request.body, dict) or envelope_kind(request.body) is None:
        return Rejection("malformed_body", 400)
    return request


def admit(
    raw: bytes,
    *,
    content_type: str,
    query: str,
    headers: Mapping[str, str],
    signed: SignatureCheck,
) -> AsyncBoltRequest | Rejection:
    """The Bolt request for a signed, well-formed body, or why it is refused.

    Args:
        raw: The body as received (at most :data:`MAX_BODY` bytes).
        content_type: Its media type, without parameters.
        query: The request's query string.
        headers: The request's headers (the signature among them).
        signed: Judges the signature.
    """
    if not signed(raw, headers):
        return Rejection("invalid_signature", 401)
    if content_type not in _CONTENT_TYPES:
        return Rejection("unsupported_media_type", 415)
    return _parsed(raw, query=query, headers=headers)
