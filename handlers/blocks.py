"""Block Kit for every message Switchboard posts: pure functions of domain values.

The only module that knows Block Kit. Built with slack_sdk's block models so field limits
and shapes stay right, except the few blocks of every answer (header, sections, context
line): those are plain dicts of the same shape, clipped to the same limits, as building and
validating the models cost a quarter of a millisecond per answer (tests hold them equal).
"""

from __future__ import annotations

import json
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    MarkdownTextObject,
    SectionBlock,
)

from agents.kernel.models import Outbound, Reply
from handlers.review_blocks import feedback_block

__all__ = [
    "ROUTE_CHOICE_PREFIX",
    "TURN_EVENT_TYPE",
    "annotation_blocks",
    "choice_made_blocks",
    "note_block",
    "parse_choice_value",
    "reply_blocks",
    "reply_metadata",
    "reply_tail_blocks",
    "reply_text",
]

ROUTE_CHOICE_PREFIX = "route_choice:"
"""Action ids of the "which agent did you mean?" buttons: the prefix, then the agent."""
_ASKED_LIMIT = 1500  # a button value holds 2000 characters; the JSON envelope needs the rest

TURN_EVENT_TYPE = "switchboard_turn"
"""The Slack message metadata ``event_type`` that marks a message as a Switchboard reply."""

_SECTION_LIMIT = 3000
_TEXT_LIMIT = 3900  # Slack truncates longer top-level text; the blocks carry the full answer
_HEADER_LIMIT = 150
_RECORD_LIMIT = 2000  # a context element holds 3000 characters
_MAX_ITEM_SECTIONS = 40


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def reply_text(reply: Reply) -> str:
    """The plain-text fallback Slack shows in notifications and screen readers."""
    lines = [reply.text, reply.record or "", reply.note or ""]
    return _clip("\n".join(line for line in lines if line), _TEXT_LIMIT)


def _text(kind: str, text: str) -> dict[str, str]:
    # As slack_sdk's text objects render: an empty text is left out.
    return {"type": kind, "text": text} if text else {"type": kind}


def _section(text: str) -> dict[str, Any]:
    """``SectionBlock(text=MarkdownTextObject(text=...)).to_dict()``, clipped to its limit."""
    return {"type": "section", "text": _text("mrkdwn", _clip(text, _SECTION_LIMIT))}


def reply_blocks(outbound: Outbound) -> list[dict[str, Any]]:
    """Render a reply: optional header, the answer (or its item list), a context line, and
    the 👍 / 👎 feedback buttons."""
    reply = outbound.reply
    rendered: list[dict[str, Any]] = []
    if reply.title:
        header = _text("plain_text", _clip(reply.title, _HEADER_LIMIT))
        rendered.append({"type": "header", "text": header})
    if reply.items:
        rendered.append(_section(reply.text.split("\n", 1)[0]))
        rendered += [
            _section(f"*{item.label}*\n{item.detail}") for item in reply.items[:_MAX_ITEM_SECTIONS]
        ]
    else:
        rendered.append(_section(reply.text))
    blocks: list[Block] = []
    if reply.choices:
        value = {"u": reply.asked_by, "t": reply.asked[:_ASKED_LIMIT]}
        blocks.append(
            ActionsBlock(
                block_id="route_choice",
                elements=[
                    ButtonElement(
                        text=name,
                        action_id=f"{ROUTE_CHOICE_PREFIX}{name}",
                        value=json.dumps({**value, "a": name}),
                    )
                    for name in reply.choices[:5]
                ],
            )
        )
    return [*rendered, *(block.to_dict() for block in blocks), *reply_tail_blocks(outbound)]


def reply_tail_blocks(outbound: Outbound) -> list[dict[str, Any]]:
    """What ends every answer: the note (if any), the agent and trace line, and the feedback
    buttons (a streamed answer gets these when its stream stops)."""
    notes = [block.to_dict() for block in annotation_blocks(outbound.reply)]
    footer = f"{outbound.agent} · trace `{outbound.trace_id[:12]}`"
    context = {"type": "context", "elements": [_text("mrkdwn", footer)]}
    return [*notes, context, feedback_block(outbound.trace_id)]


def reply_metadata(outbound: Outbound) -> dict[str, Any]:
    """Slack message metadata carrying the turn's trace id (also used to find a post again)."""
    return {
        "event_type": TURN_EVENT_TYPE,
        "event_payload": {"trace_id": outbound.trace_id, "agent": outbound.agent},
    }


def annotation_blocks(reply: Reply) -> list[ContextBlock]:
    """What Switchboard adds under an answer: the record of its tool calls (from the turn's
    records, never the model) and the note (if any)."""
    blocks = []
    if reply.record:
        text = _clip(reply.record, _RECORD_LIMIT)
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=f"🧾 {text}")]))
    if reply.note:
        blocks.append(note_block(reply.note))
    return blocks


def note_block(note: str) -> ContextBlock:
    """A remark under an answer, in small print (``_italic_``)."""
    return ContextBlock(elements=[MarkdownTextObject(text=f"_{_clip(note, 300)}_")])


def parse_choice_value(value: str) -> tuple[str, str, str] | None:
    """``(agent, requester, asked text)`` from a route-choice button value; None if malformed."""
    try:
        data = json.loads(value)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    agent, user, text = data.get("a"), data.get("u"), data.get("t")
    if not (isinstance(agent, str) and isinstance(user, str) and isinstance(text, str)):
        return None
    return agent, user, text


def choice_made_blocks(*, agent: str, user_id: str, asked: str) -> list[dict[str, Any]]:
    """The ask-back message once answered: what was asked and who sent it where (no buttons)."""
    line = f"<@{user_id}> sent {_clip(asked, 500)!r} to *{agent}*."
    return [SectionBlock(text=MarkdownTextObject(text=line)).to_dict()]
