"""A stored reply's ``reply_json``: the :class:`Reply` a pending or sent answer carries.

The reply is kept whole (title, items, choices, a pending action's values): a re-run turn
returns the stored reply unchanged, and the next message in the thread finds the question it
left open. Its text is not repeated in the JSON (it is the message's ``text`` column), nor is
a field at its default: a reply's row is about a third smaller (see benchmarks/README.md,
"Bytes per turn"). Rows written before that carry both and read the same.

Nor are the items' details, when the text already says them (agents list their items in the
text, ``• label: detail``): each item is then stored as ``[label, start, length]``, its
detail being that slice of the text (``items_in_text``), about 500 bytes less for a ``help``
answer. Only the text the row stores is sliced, and the slices are checked when written, so
a reply reads back exactly as it was; the erasure tombstone replaces text and JSON together.
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
    stored = {key: value for key, value in full.items() if value != _DEFAULTS[key]}
    in_text = _items_in_text(reply.text, reply.items)
    if in_text is not None:
        del stored["items"]
        stored["items_in_text"] = in_text
    return stored


def _items_in_text(text: str, items: tuple[ReplyItem, ...]) -> list[list[str | int]] | None:
    """Each item as ``[label, start, length]`` of its detail in ``text``, found in order; None
    unless every detail is there (then the items are stored whole)."""
    if not items:
        return None
    found: list[list[str | int]] = []
    cursor = 0
    for item in items:
        start = text.find(item.detail, cursor) if item.detail else -1
        if start < 0:
            return None
        found.append([item.label, start, len(item.detail)])
        cursor = start + len(item.detail)
    return found


def _items(data: dict[str, Any], text: str) -> tuple[ReplyItem, ...]:
    sliced = data.get("items_in_text")
    if sliced is None:
        return tuple(
            ReplyItem(str(item["label"]), str(item["detail"])) for item in data.get("items", ())
        )
    items = []
    for label, start, length in sliced:
        if not (isinstance(start, int) and isinstance(length, int)):
            raise TypeError("items_in_text")
        if start < 0 or length <= 0 or start + length > len(text):
            raise ValueError("items_in_text out of the text")
        items.append(ReplyItem(str(label), text[start : start + length]))
    return tuple(items)


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
        items = _items(data, text)
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
