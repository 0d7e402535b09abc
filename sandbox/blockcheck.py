"""Checking Block Kit blocks the way Slack does before storing a message: every block has a
type, and the AI-app blocks (``task_card``, ``plan``, ``context_actions`` with
``feedback_buttons`` and ``icon_button``) have the fields their reference pages require.

A malformed block is answered ``invalid_blocks`` with a ``[ERROR] ... [json-pointer:...]``
line naming where it failed, as Slack does. Other block types are stored as given. Sources:
https://docs.slack.dev/reference/block-kit/blocks/task-card-block,
https://docs.slack.dev/reference/block-kit/blocks/plan-block,
https://docs.slack.dev/reference/block-kit/blocks/context-actions-block,
https://docs.slack.dev/reference/block-kit/block-elements/feedback-buttons-element,
https://docs.slack.dev/reference/block-kit/block-elements/url-source-element.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sandbox.apierror import ApiError
from sandbox.records import JSON

__all__ = ["TASK_STATUSES", "check_blocks", "check_sources"]

TASK_STATUSES = ("pending", "in_progress", "complete", "error")
"""The states of a task card (and of a ``task_update`` chunk)."""

MAX_BLOCK_ID = 255
MAX_CONTEXT_ACTIONS = 5
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000


class _Invalid(ValueError):
    """A failed check: what failed, and where (a JSON pointer below the block)."""

    def __init__(self, what: str, where: str = "") -> None:
        super().__init__(what)
        self.what = what
        self.where = where


def _text(value: Any, where: str, *, required: bool = True) -> None:
    if value is None and not required:
        return
    if not isinstance(value, str) or not value:
        raise _Invalid("must be a non-empty string", where)


def _plain_text(value: Any, where: str, *, limit: int | None = None) -> None:
    if not isinstance(value, dict) or value.get("type") != "plain_text":
        raise _Invalid("must be a plain_text object", where)
    text = value.get("text")
    if not isinstance(text, str) or not text:
        raise _Invalid("must have text", where + "/text")
    if limit is not None and len(text) > limit:
        raise _Invalid(f"must be at most {limit} characters", where + "/text")


def _rich_text(value: Any, where: str) -> None:
    if value is None:
        return
    if not isinstance(value, dict) or value.get("type") != "rich_text":
        raise _Invalid("must be a single rich_text object", where)
    if not isinstance(value.get("elements"), list):
        raise _Invalid("must have elements", where + "/elements")


def check_sources(value: Any, where: str = "/sources") -> None:
    """URL source elements (``{"type": "url", "url", "text"}``), if given.

    Raises:
        ValueError: not a list of URL sources.
    """
    if value is None:
        return
    if not isinstance(value, list):
        raise _Invalid("must be an array of url sources", where)
    for index, source in enumerate(value):
        at = f"{where}/{index}"
        if not isinstance(source, dict) or source.get("type") != "url":
            raise _Invalid("must be a url source element", at)
        _text(source.get("url"), at + "/url")
        _text(source.get("text"), at + "/text")


def _task_card(block: JSON, where: str = "") -> None:
    _text(block.get("task_id"), where + "/task_id")
    _text(block.get("title"), where + "/title")
    status = block.get("status")
    if status is not None and status not in TASK_STATUSES:
        raise _Invalid(f"must be one of {', '.join(TASK_STATUSES)}", where + "/status")
    _rich_text(block.get("details"), where + "/details")
    _rich_text(block.get("output"), where + "/output")
    check_sources(block.get("sources"), where + "/sources")


def _plan(block: JSON) -> None:
    _text(block.get("title"), "/title")
    tasks = block.get("tasks")
    if tasks is None:
        return
    if not isinstance(tasks, list):
        raise _Invalid("must be an array of task cards", "/tasks")
    for index, task in enumerate(tasks):
        at = f"/tasks/{index}"
        if not isinstance(task, dict) or task.get("type", "task_card") != "task_card":
            raise _Invalid("must be a task card", at)
        _task_card(task, at)


def _feedback_buttons(element: JSON, where: str) -> None:
    for side in ("positive_button", "negative_button"):
        button = element.get(side)
        at = f"{where}/{side}"
        if not isinstance(button, dict):
            raise _Invalid("is required", at)
        _plain_text(button.get("text"), at + "/text", limit=MAX_BUTTON_TEXT)
        value = button.get("value")
        if not isinstance(value, str) or not value or len(value) > MAX_BUTTON_VALUE:
            raise _Invalid(f"must be 1 to {MAX_BUTTON_VALUE} characters", at + "/value")


def _icon_button(element: JSON, where: str) -> None:
    _text(element.get("icon"), where + "/icon")
    _plain_text(element.get("text"), where + "/text")


_CONTEXT_ELEMENTS: dict[str, Callable[[JSON, str], None]] = {
    "feedback_buttons": _feedback_buttons,
    "icon_button": _icon_button,
}


def _context_actions(block: JSON) -> None:
    elements = block.get("elements")
    if not isinstance(elements, list) or not 1 <= len(elements) <= MAX_CONTEXT_ACTIONS:
        raise _Invalid(f"must hold 1 to {MAX_CONTEXT_ACTIONS} elements", "/elements")
    for index, element in enumerate(elements):
        at = f"/elements/{index}"
        kind = element.get("type") if isinstance(element, dict) else None
        check = _CONTEXT_ELEMENTS.get(kind) if isinstance(kind, str) else None
        if check is None or not isinstance(element, dict):
            raise _Invalid("must be a feedback_buttons or icon_button element", at)
        action_id = element.get("action_id")
        if action_id is not None and (not isinstance(action_id, str) or len(action_id) > 255):
            raise _Invalid("must be a string of at most 255 characters", at + "/action_id")
        check(element, at)


_CHECKS: dict[str, Callable[[JSON], None]] = {
    "task_card": _task_card,
    "plan": _plan,
    "context_actions": _context_actions,
}


def _check_block(block: Any) -> None:
    if not isinstance(block, dict) or not isinstance(block.get("type"), str):
        raise _Invalid("must be a block with a type")
    block_id = block.get("block_id")
    if block_id is not None and (not isinstance(block_id, str) or len(block_id) > MAX_BLOCK_ID):
        raise _Invalid(f"must be a string of at most {MAX_BLOCK_ID} characters", "/block_id")
    check = _CHECKS.get(block["type"])
    if check is not None:
        check(block)


def check_blocks(blocks: list[Any], *, pointer: str = "/blocks") -> None:
    """Check each block as Slack would before storing it.

    Raises:
        ApiError: ``invalid_blocks``, naming the first failure.
    """
    for index, block in enumerate(blocks):
        try:
            _check_block(block)
        except _Invalid as exc:
            where = f"{pointer}/{index}{exc.where}"
            raise ApiError(
                "invalid_blocks", messages=[f"[ERROR] {exc.what} [json-pointer:{where}]"]
            ) from None
