"""A stream's message as a person sees it, in Block Kit: the streamed text as ``markdown``
blocks, tasks as ``task_card`` blocks between them (``timeline``) or together in one ``plan``
block placed where the plan began (``plan``), blocks chunks where they arrived, and the blocks
``chat.stopStream`` added at the bottom.

The layout follows chat.startStream's ``task_display_mode`` ("timeline task updates render as
individual task cards interleaved with streamed text; plan task updates render together in a
plan block") and chat.stopStream's ``blocks`` ("rendered at the bottom of the finalized
message"): https://docs.slack.dev/reference/methods/chat.startStream,
https://docs.slack.dev/reference/methods/chat.stopStream.
"""

from __future__ import annotations

from sandbox.records import JSON
from sandbox.streams import Stream, Task

__all__ = ["render_blocks", "rich_text", "task_card"]


def rich_text(text: str) -> JSON:
    """A task's details or output (a string in a chunk) as the rich_text a task card holds."""
    section = {"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}
    return {"type": "rich_text", "elements": [section]}


def task_card(task: Task) -> JSON:
    """The ``task_card`` block of a task."""
    last = task.last
    card: JSON = {"type": "task_card", "task_id": last.id, "title": last.title}
    card["status"] = last.status
    if last.details is not None:
        card["details"] = rich_text(last.details)
    if last.output is not None:
        card["output"] = rich_text(last.output)
    if last.sources is not None:
        card["sources"] = list(last.sources)
    return card


def render_blocks(stream: Stream) -> list[JSON]:
    """The message's blocks, in the order a person reads them."""
    blocks: list[JSON] = []
    for part in stream.parts:
        if part.kind == "text":
            blocks.append({"type": "markdown", "text": part.value})
        elif part.kind == "task":
            blocks.append(task_card(stream.tasks[part.value]))
        elif part.kind == "plan":
            tasks = [task_card(task) for task in stream.tasks.values()]
            blocks.append({"type": "plan", "title": stream.plan_title or "", "tasks": tasks})
        else:
            blocks.extend(part.blocks)
    blocks.extend(stream.final_blocks)
    return blocks
