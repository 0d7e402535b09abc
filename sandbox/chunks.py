"""The content of a streaming call: ``markdown_text`` and ``chunks``, checked as Slack checks
them and read into values.

Chunk types (https://docs.slack.dev/reference/methods/chat.appendStream, "Using the chunks
parameter"; python-slack-sdk ``slack_sdk/models/messages/chunk.py``): ``markdown_text``
(``text``), ``task_update`` (``id``, ``title``, ``status`` one of pending, in_progress,
complete, error; optional ``details``, ``output`` and URL ``sources``), ``plan_update``
(``title``) and ``blocks`` (``blocks``). A malformed chunk is ``invalid_chunks``; bad blocks
inside a blocks chunk are ``invalid_blocks``; text over 12,000 characters is
``msg_too_long``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sandbox.apierror import ApiError
from sandbox.blockcheck import TASK_STATUSES, check_blocks, check_sources
from sandbox.records import JSON

__all__ = [
    "MAX_MARKDOWN",
    "BlocksChunk",
    "Chunk",
    "PlanChunk",
    "TaskChunk",
    "TextChunk",
    "read_content",
]

MAX_MARKDOWN = 12_000
"""The most characters ``markdown_text`` (and a markdown_text chunk) may carry."""


@dataclass(frozen=True, slots=True)
class TextChunk:
    """Markdown text appended to the message."""

    text: str


@dataclass(frozen=True, slots=True)
class TaskChunk:
    """A task created or updated (by ``id``)."""

    id: str
    title: str
    status: str
    details: str | None = None
    output: str | None = None
    sources: tuple[JSON, ...] | None = None


@dataclass(frozen=True, slots=True)
class PlanChunk:
    """A new title for the plan."""

    title: str


@dataclass(frozen=True, slots=True)
class BlocksChunk:
    """Blocks placed in the message where the chunk arrives."""

    blocks: tuple[JSON, ...]


Chunk = TextChunk | TaskChunk | PlanChunk | BlocksChunk


def _invalid(index: int, what: str) -> ApiError:
    return ApiError("invalid_chunks", messages=[f"[ERROR] {what} [json-pointer:/chunks/{index}]"])


def _string(chunk: JSON, name: str, index: int, *, required: bool = True) -> str | None:
    value = chunk.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or (required and not value):
        raise _invalid(index, f"{name} must be a non-empty string")
    return value


def _text(text: str) -> TextChunk:
    if len(text) > MAX_MARKDOWN:
        raise ApiError("msg_too_long")
    return TextChunk(text)


def _task(chunk: JSON, index: int) -> TaskChunk:
    status = chunk.get("status")
    if status not in TASK_STATUSES:
        raise _invalid(index, f"status must be one of {', '.join(TASK_STATUSES)}")
    sources = chunk.get("sources")
    try:
        check_sources(sources)
    except ValueError as exc:
        raise _invalid(index, f"sources {exc}") from None
    return TaskChunk(
        id=_string(chunk, "id", index) or "",
        title=_string(chunk, "title", index) or "",
        status=str(status),
        details=_string(chunk, "details", index, required=False),
        output=_string(chunk, "output", index, required=False),
        sources=None if sources is None else tuple(sources),
    )


def _blocks(chunk: JSON, index: int) -> BlocksChunk:
    blocks = chunk.get("blocks")
    if not isinstance(blocks, list) or not blocks:
        raise _invalid(index, "blocks must be a non-empty array")
    check_blocks(blocks, pointer=f"/chunks/{index}/blocks")
    return BlocksChunk(tuple(blocks))


def _chunk(chunk: Any, index: int) -> Chunk:
    if not isinstance(chunk, dict):
        raise _invalid(index, "a chunk must be an object")
    kind = chunk.get("type")
    if kind == "markdown_text":
        return _text(_string(chunk, "text", index) or "")
    if kind == "task_update":
        return _task(chunk, index)
    if kind == "plan_update":
        return PlanChunk(_string(chunk, "title", index) or "")
    if kind == "blocks":
        return _blocks(chunk, index)
    raise _invalid(index, f"unknown chunk type {kind!r}")


def read_content(args: JSON) -> list[Chunk]:
    """The call's ``markdown_text`` (first) and ``chunks``, in order; empty if neither.

    Raises:
        ApiError: ``invalid_chunks``, ``invalid_blocks`` or ``msg_too_long``.
    """
    content: list[Chunk] = []
    markdown = args.get("markdown_text")
    if markdown is not None and markdown != "":
        if not isinstance(markdown, str):
            raise ApiError("invalid_arguments", messages=["[ERROR] markdown_text must be text"])
        content.append(_text(markdown))
    chunks = args.get("chunks")
    if chunks is None or chunks == "":
        return content
    if not isinstance(chunks, list):
        raise ApiError("invalid_chunks", messages=["[ERROR] chunks must be an array"])
    content.extend(_chunk(chunk, index) for index, chunk in enumerate(chunks))
    return content
