"""The stored form of a reply (``messages.reply_json``): its text is the message's own column,
a field at its default is left out, items the text already lists are slices of it, and rows
written before any of that still read the same."""

from __future__ import annotations

import json

import pytest

from agents.kernel.errors import StorageError
from agents.kernel.models import PendingAction, Reply, ReplyItem
from storage.conversations.replies import decode_reply, encode_reply

FULL = Reply(
    text="Which service?",
    title="Deploy",
    items=(ReplyItem("api", "v2"), ReplyItem("web", "")),
    approval_id="A1",
    pending=PendingAction(
        action="deploy", values=(("version", "v2"),), missing=("service",), requester="U1"
    ),
    choices=("deploy", "incident"),
    asked="deploy v2",
    asked_by="U1",
    note="planner degraded",
    record="1 proposal",
)


@pytest.mark.parametrize(
    "reply",
    [
        FULL,
        Reply(text="plain"),
        Reply(text="", title="", note="", record=""),  # empty, not absent: kept as such
        Reply(text="Here is what I can do.", title="help", items=(ReplyItem("a", "b"),)),
    ],
)
def test_a_reply_reads_back_equal_from_its_json_and_text(reply: Reply) -> None:
    stored = json.loads(json.dumps(encode_reply(reply)))  # as the JSON column returns it
    assert decode_reply(stored, text=reply.text, trace_id="t1") == reply


def test_the_text_and_the_defaults_are_not_stored_twice() -> None:
    words = "a long answer " * 40
    stored = encode_reply(Reply(text=words, title="help"))
    assert stored == {"title": "help"}
    assert words not in json.dumps(stored)


def test_a_row_written_with_every_field_and_its_text_reads_the_same() -> None:
    """The form stored before: text inside, every field present (defaults too)."""
    old = json.loads(
        '{"text": "Which service?", "title": null, "items": [], "approval_id": null,'
        ' "choices": [], "asked": "", "asked_by": "", "note": null, "record": null,'
        ' "pending": null}'
    )
    assert decode_reply(old, text="ignored", trace_id="t1") == Reply(text="Which service?")


LISTED = Reply(
    text="Here is what I can do.\n• help: Lists what I can do.\n• deploy: Deploys services.",
    title="Switchboard help",
    items=(ReplyItem("help", "Lists what I can do."), ReplyItem("deploy", "Deploys services.")),
)


def test_item_details_the_text_lists_are_stored_once_and_read_back_equal() -> None:
    """A ``help`` answer lists its items in the text: the JSON points at them."""
    stored = json.loads(json.dumps(encode_reply(LISTED)))
    assert "items" not in stored
    assert stored["items_in_text"] == [["help", 31, 20], ["deploy", 62, 17]]
    for item in LISTED.items:
        assert item.detail not in json.dumps(stored)
    assert decode_reply(stored, text=LISTED.text, trace_id="t1") == LISTED


@pytest.mark.parametrize(
    "items",
    [
        (ReplyItem("deploy", "Deploys services."), ReplyItem("help", "Lists what I can do.")),
        (ReplyItem("help", "Lists what I can do."), ReplyItem("oncall", "Not in the text.")),
        (ReplyItem("help", "Lists what I can do."), ReplyItem("empty", "")),
        (ReplyItem("help", "Lists what I can do."), ReplyItem("again", "Lists what I can do.")),
    ],
)
def test_items_the_text_does_not_list_in_order_are_stored_whole(
    items: tuple[ReplyItem, ...],
) -> None:
    """Out of order, missing, empty or said once for two items: kept as they are."""
    reply = Reply(text=LISTED.text, title="t", items=items)
    stored = json.loads(json.dumps(encode_reply(reply)))
    assert "items_in_text" not in stored
    assert stored["items"] == [{"label": i.label, "detail": i.detail} for i in items]
    assert decode_reply(stored, text=reply.text, trace_id="t1") == reply


@pytest.mark.parametrize(
    "data",
    [
        None,
        [],
        {"title": 3},
        {"items": [{"label": "x"}]},
        {"pending": "deploy"},
        {"items_in_text": [["x", 0, 99]]},  # past the end of the text
        {"items_in_text": [["x", "0", 1]]},
        {"items_in_text": [["x", 0]]},
    ],
)
def test_a_malformed_stored_reply_is_a_storage_error(data: object) -> None:
    with pytest.raises(StorageError, match="t9"):
        decode_reply(data, text="x", trace_id="t9")
