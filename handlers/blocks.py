"""Block Kit for every message Switchboard posts: pure functions of domain values.

The only module that knows Block Kit. Built with slack_sdk's block models so field limits
and shapes stay right.
"""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from agents.core.models import Outbound, Reply

__all__ = ["TURN_EVENT_TYPE", "reply_blocks", "reply_metadata", "reply_text"]

TURN_EVENT_TYPE = "switchboard_turn"
"""The Slack message metadata ``event_type`` that marks a message as a Switchboard reply."""

_SECTION_LIMIT = 3000
_TEXT_LIMIT = 3900  # Slack truncates longer top-level text; the blocks carry the full answer
_HEADER_LIMIT = 150
_MAX_ITEM_SECTIONS = 40


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def reply_text(reply: Reply) -> str:
    """The plain-text fallback Slack shows in notifications and screen readers."""
    return _clip(reply.text, _TEXT_LIMIT)


def reply_blocks(outbound: Outbound) -> list[dict[str, Any]]:
    """Render a reply: optional header, the answer (or its item list), and a context line."""
    reply = outbound.reply
    blocks: list[Block] = []
    if reply.title:
        blocks.append(HeaderBlock(text=PlainTextObject(text=_clip(reply.title, _HEADER_LIMIT))))
    if reply.items:
        intro = reply.text.split("\n", 1)[0]
        blocks.append(SectionBlock(text=MarkdownTextObject(text=_clip(intro, _SECTION_LIMIT))))
        for item in reply.items[:_MAX_ITEM_SECTIONS]:
            line = f"*{item.label}*\n{item.detail}"
            blocks.append(SectionBlock(text=MarkdownTextObject(text=_clip(line, _SECTION_LIMIT))))
    else:
        blocks.append(SectionBlock(text=MarkdownTextObject(text=_clip(reply.text, _SECTION_LIMIT))))
    footer = f"{outbound.agent} · trace `{outbound.trace_id[:12]}`"
    blocks.append(ContextBlock(elements=[MarkdownTextObject(text=footer)]))
    return [block.to_dict() for block in blocks]


def reply_metadata(outbound: Outbound) -> dict[str, Any]:
    """Slack message metadata carrying the turn's trace id (also used to find a post again)."""
    return {
        "event_type": TURN_EVENT_TYPE,
        "event_payload": {"trace_id": outbound.trace_id, "agent": outbound.agent},
    }
