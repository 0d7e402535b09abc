"""The events Slack sends when a person edits or deletes a message in #general."""

from __future__ import annotations

from typing import Any

from sandbox.people import SentMessage

__all__ = ["deleted", "edited"]


def deleted(sent: SentMessage, *, user: str = "U0ALICE") -> dict[str, Any]:
    """``message_deleted`` for the message ``sent``."""
    return {
        "type": "message",
        "subtype": "message_deleted",
        "channel": "C0GENERAL",
        "hidden": True,
        "deleted_ts": sent.ts,
        "previous_message": {"type": "message", "user": user, "ts": sent.ts},
        "ts": "1800000000.000001",
        "event_ts": "1800000000.000001",
        "channel_type": "channel",
    }


def edited(sent: SentMessage, text: str, *, user: str = "U0ALICE") -> dict[str, Any]:
    """``message_changed`` for the message ``sent``, now saying ``text``."""
    return {
        "type": "message",
        "subtype": "message_changed",
        "channel": "C0GENERAL",
        "hidden": True,
        "message": {
            "type": "message",
            "user": user,
            "text": text,
            "ts": sent.ts,
            "edited": {"user": user, "ts": "1800000000.000002"},
        },
        "previous_message": {"type": "message", "user": user, "ts": sent.ts},
        "ts": "1800000000.000002",
        "event_ts": "1800000000.000002",
        "channel_type": "channel",
    }
