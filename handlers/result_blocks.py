"""Block Kit for a run's output in its thread: what a read found, shown to people.

The output is the domain's presentation (:class:`~agents.actions.presentation.RunOutput`,
redacted and capped); here it becomes Slack text: fields as a section's two-column fields
(Slack's ``table`` block is accepted only inside message ``attachments``, so it is not used),
a template's text as a line, a JSON or text body as a code block; the executor's summary
("succeeded: HTTP 200 from …") as a small context line under it. Everything from the target
is escaped (``&``, ``<``, ``>``), so that an output can mention, ping or link nobody.
"""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import Block, ContextBlock, MarkdownTextObject, SectionBlock

from agents.actions.approval import Approval
from agents.actions.presentation import RunOutput
from handlers.wording import outcome_word

__all__ = ["escaped", "output_blocks", "output_text"]

_SECTION_LIMIT = 3000
_FIELD_LIMIT = 2000
_FIELDS_PER_SECTION = 10  # Slack's limit
_TEXT_LIMIT = 3900
_CONTEXT_LIMIT = 1000


def escaped(text: str) -> str:
    """``&``, ``<`` and ``>`` escaped, so that no value becomes a mention or a link."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _heading(approval: Approval) -> str:
    params = " ".join(f"{k}={v}" for k, v in approval.params.items())
    return f"<@{approval.requester}> `{approval.action}` {escaped(params)}".rstrip()


def _shown(output: RunOutput) -> str:
    """The output as mrkdwn: code for a raw body, the line itself for a template."""
    text = escaped(output.text)
    if output.kind in ("json", "text"):
        return "```" + text.replace("```", "` ` `") + "```"
    return text


def output_text(approval: Approval, output: RunOutput) -> str:
    """The message's plain text (notifications, screen readers): heading and output."""
    return _clip(f"{_heading(approval)}: {escaped(output.text)}", _TEXT_LIMIT)


def output_blocks(approval: Approval, output: RunOutput) -> list[dict[str, Any]]:
    """The run's output under its request's heading, then the run's summary in small print."""
    heading = _heading(approval)
    blocks: list[Block] = []
    if output.fields:
        fields = [
            MarkdownTextObject(text=_clip(f"*{escaped(label)}*\n{escaped(value)}", _FIELD_LIMIT))
            for label, value in output.fields
        ]
        for start in range(0, len(fields), _FIELDS_PER_SECTION):
            chunk = fields[start : start + _FIELDS_PER_SECTION]
            intro = MarkdownTextObject(text=heading) if start == 0 else None
            blocks.append(SectionBlock(text=intro, fields=chunk))
    else:
        text = _clip(f"{heading}\n{_shown(output)}", _SECTION_LIMIT)
        blocks.append(SectionBlock(text=MarkdownTextObject(text=text)))
    context = f"{outcome_word(approval)}: {escaped(approval.result or '')}"
    if output.truncated:
        context += " · output cut to fit"
    if output.note:
        context += f" · {escaped(output.note)}"
    blocks.append(ContextBlock(elements=[MarkdownTextObject(text=_clip(context, _CONTEXT_LIMIT))]))
    return [block.to_dict() for block in blocks]
