"""Signing deliveries the way Slack does (``X-Slack-Signature`` over ``v0:ts:body``)."""

from __future__ import annotations

import hashlib
import hmac
import time

from slack_sdk.signature import SignatureVerifier

from sandbox.records import SignatureMode

__all__ = ["Signer"]

_FORGED_SECRET = "not-the-signing-secret"  # noqa: S105 - deliberately wrong, for forged requests


class Signer:
    """Produces Slack's request-signing headers for one signing secret.

    Args:
        signing_secret: The app's signing secret.
    """

    def __init__(self, signing_secret: str) -> None:
        self._secrets = {"valid": signing_secret, "forged": _FORGED_SECRET}
        self._verifiers = {mode: SignatureVerifier(s) for mode, s in self._secrets.items()}

    def headers(
        self, body: bytes, *, mode: SignatureMode = "valid", timestamp: int | None = None
    ) -> dict[str, str]:
        """The signature headers for ``body``.

        Args:
            body: The exact bytes that will be sent.
            mode: ``valid``, ``forged`` (a wrong HMAC) or ``missing`` (no headers at all).
            timestamp: The ``X-Slack-Request-Timestamp`` to sign with (default: now).

        Returns:
            ``X-Slack-Request-Timestamp`` and ``X-Slack-Signature``, or nothing.
        """
        if mode == "missing":
            return {}
        stamp = str(int(time.time()) if timestamp is None else timestamp)
        try:
            signature = self._verifiers[mode].generate_signature(timestamp=stamp, body=body)
        except UnicodeDecodeError:
            # The SDK signs text; a deliberately malformed (non-UTF-8) body is signed as bytes.
            base = b"v0:" + stamp.encode() + b":" + body
            digest = hmac.new(self._secrets[mode].encode(), base, hashlib.sha256).hexdigest()
            signature = f"v0={digest}"
        return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": str(signature)}
