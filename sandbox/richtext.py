"""The rich_text block Slack derives from a message's mrkdwn text."""

from __future__ import annotations

import re

from sandbox.records import JSON

__all__ = ["mentions", "rich_text_blocks"]

# <@U123>, <#C123|name>, <!here>, <!subteam^S123|@ops>, <https://x|label>
_SPECIAL = re.compile(r"<([@#!]?)([^>|]+)(?:\|([^>]*))?>")
_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")


def _unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _special(sigil: str, target: str, label: str | None) -> JSON:
    if sigil == "@":
        return {"type": "user", "user_id": target}
    if sigil == "#":
        return {"type": "channel", "channel_id": target}
    if sigil == "!":
        if target.startswith("subteam^"):
            return {"type": "usergroup", "usergroup_id": target.removeprefix("subteam^")}
        return {"type": "broadcast", "range": target}
    link: JSON = {"type": "link", "url": target}
    if label:
        link["text"] = _unescape(label)
    return link


def rich_text_blocks(text: str, *, block_id: str) -> list[JSON]:
    """One ``rich_text`` block with a section of text, user, channel and link elements.

    Args:
        text: Message text in Slack's mrkdwn (``<@U123> deploy api``).
        block_id: The block id to give the block.

    Returns:
        The ``blocks`` list Slack attaches to a message posted with text only.
    """
    elements: list[JSON] = []
    cursor = 0
    for match in _SPECIAL.finditer(text):
        if match.start() > cursor:
            elements.append({"type": "text", "text": _unescape(text[cursor : match.start()])})
        elements.append(_special(match.group(1), match.group(2), match.group(3)))
        cursor = match.end()
    if cursor < len(text):
        elements.append({"type": "text", "text": _unescape(text[cursor:])})
    section: JSON = {"type": "rich_text_section", "elements": elements}
    return [{"type": "rich_text", "block_id": block_id, "elements": [section]}]


def mentions(text: str) -> list[str]:
    """The user ids mentioned in ``text`` (``<@U123>``), in order of appearance."""
    return _MENTION.findall(text)
