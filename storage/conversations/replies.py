"""A stored reply's ``reply_json``: the :class:`Reply` a pending or sent answer carries.

The reply is kept whole (title, items, choices, a pending action's values): a re-run turn
returns the stored reply unchanged, and the next message in the thread finds the question it
left open. Its text is not repeated in the JSON (it is the message's ``text`` column), nor is
a field at its default: a reply's row is about a third smaller (see benchmarks/README.md,
"Bytes per turn"). Rows written before that carry both and read the same.
"""

from __future__ import annotations

from typing import Any

from agents.kernel.errors import StorageError
from agents.kernel.models import PendingAction, Reply, ReplyItem

__all__ = ["decode_reply", "encode_reply"]

# What a field left out of the JSON reads as: the ``Reply``'s own default.
_DEFAULTS: dict[str, Any] = {
    "title": None,
    "items": [],
    "approval_id": None,
    "choices": [],
    "asked": "",
    "asked_by": "",
    "note": None,
    "record": None,
    "pending": None,
}


def encode_reply(reply: Reply) -> dict[str, Any]:
    """The JSON object stored for ``reply`` beside its text (the fields not at their default)."""
    pending = reply.pending
    full: dict[str, Any] = {
        "title": reply.title,
        "items": [{"label": item.label, "detail": item.detail} for item in reply.items],
        "approval_id": reply.approval_id,
        "choices": list(reply.choices),
        "asked": reply.asked,
        "asked_by": reply.asked_by,
        "note": reply.note,
        "record": reply.record,
        "pending": None
        if pending is None
        else {
            "action": pending.action,
            "values": [list(pair) for pair in pending.values],
            "missing": list(pending.missing),
            "requester": pending.requester,
        },
    }
    return {key: value for key, value in full.items() if value != _DEFAULTS[key]}


def decode_reply(data: object, *, text: str, trace_id: str) -> Reply:
    """The reply stored as ``data`` with ``text`` (its message's text) for the turn
    ``trace_id``; ``data`` may carry the text itself (rows written before it was left out).

    Raises:
        StorageError: ``data`` is not a reply :func:`encode_reply` wrote.
    """
    try:
        if not isinstance(data, dict):
            raise TypeError(type(data).__name__)
        title = data.get("title")
        text = data.get("text", text)
        if not isinstance(text, str) or not isinstance(title, str | None):
            raise TypeError("text or title")
        items = tuple(
            ReplyItem(str(item["label"]), str(item["detail"])) for item in data.get("items", ())
        )
        approval_id = data.get("approval_id")
        pending = _decode_pending(data.get("pending"))
        choices = tuple(str(name) for name in data.get("choices") or ())
        note = data.get("note")
        record = data.get("record")
    except (KeyError, TypeError, ValueError) as exc:
        raise StorageError(f"malformed reply_json for trace {trace_id!r}") from exc
    return Reply(
        text=text,
        title=title,
        items=items,
        approval_id=str(approval_id) if approval_id is not None else None,
        pending=pending,
        choices=choices,
        asked=str(data.get("asked") or ""),
        asked_by=str(data.get("asked_by") or ""),
        note=str(note) if note is not None else None,
        record=str(record) if record is not None else None,
    )


def _decode_pending(data: object) -> PendingAction | None:
    if data is None:
        return None
    if not isinstance(data, dict):
        raise TypeError("pending")
    return PendingAction(
        action=str(data["action"]),
        values=tuple((str(name), str(value)) for name, value in data["values"]),
        missing=tuple(str(name) for name in data["missing"]),
        requester=str(data.get("requester") or ""),
    )
