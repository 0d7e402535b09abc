"""The AI-app blocks (task_card, plan, context_actions with feedback_buttons) stored when
well-formed and refused invalid_blocks when not, in posts, updates and stream stops; chunk
content read and rendered as a person sees it."""

from __future__ import annotations

from typing import Any

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import (
    ContextActionsBlock,
    FeedbackButtonsElement,
    PlanBlock,
    TaskCardBlock,
)
from slack_sdk.models.blocks.basic_components import FeedbackButtonObject
from slack_sdk.web.async_client import AsyncWebClient

from sandbox import SlackSandbox
from sandbox.apierror import ApiError
from sandbox.blockcheck import check_blocks
from sandbox.chunks import BlocksChunk, PlanChunk, TaskChunk, TextChunk, read_content
from sandbox.stream_render import render_blocks
from sandbox.streams import Stream

TASK = {"type": "task_card", "task_id": "t1", "title": "Read runbook", "status": "complete"}
FEEDBACK_BUTTONS = {
    "type": "feedback_buttons",
    "action_id": "fb",
    "positive_button": {"text": {"type": "plain_text", "text": "👍"}, "value": "up"},
    "negative_button": {"text": {"type": "plain_text", "text": "👎"}, "value": "down"},
}


def _error(blocks: list[Any]) -> ApiError:
    with pytest.raises(ApiError) as info:
        check_blocks(blocks)
    return info.value


async def test_sdk_built_ai_blocks_are_stored_as_sent(client: AsyncWebClient) -> None:
    """TaskCardBlock, PlanBlock and ContextActionsBlock from the SDK pass Slack's checks."""
    blocks = [
        PlanBlock(
            title="Checking api", tasks=[TaskCardBlock(task_id="a", title="Logs", status="pending")]
        ),
        TaskCardBlock(
            task_id="b",
            title="Runbook",
            status="in_progress",
            sources=[{"type": "url", "url": "https://wiki/x", "text": "Wiki"}],
        ),
        ContextActionsBlock(
            elements=[
                FeedbackButtonsElement(
                    action_id="fb",
                    positive_button=FeedbackButtonObject(text="👍", value="up"),
                    negative_button=FeedbackButtonObject(text="👎", value="down"),
                )
            ]
        ),
    ]
    posted = await client.chat_postMessage(channel="C0GENERAL", text="Answer", blocks=blocks)
    assert [b["type"] for b in posted["message"]["blocks"]] == [
        "plan",
        "task_card",
        "context_actions",
    ]


@pytest.mark.parametrize(
    ("block", "pointer"),
    [
        ({**TASK, "status": "done"}, "/blocks/0/status"),
        ({**TASK, "task_id": ""}, "/blocks/0/task_id"),
        ({k: v for k, v in TASK.items() if k != "title"}, "/blocks/0/title"),
        ({**TASK, "output": "plain text"}, "/blocks/0/output"),
        ({**TASK, "sources": [{"type": "url", "url": "https://x"}]}, "/blocks/0/sources/0/text"),
        ({"type": "plan", "tasks": []}, "/blocks/0/title"),
        (
            {"type": "plan", "title": "P", "tasks": [{**TASK, "status": "?"}]},
            "/blocks/0/tasks/0/status",
        ),
        ({"type": "context_actions", "elements": []}, "/blocks/0/elements"),
        ({"type": "context_actions", "elements": [FEEDBACK_BUTTONS] * 6}, "/blocks/0/elements"),
        (
            {
                "type": "context_actions",
                "elements": [{**FEEDBACK_BUTTONS, "negative_button": None}],
            },
            "/blocks/0/elements/0/negative_button",
        ),
        (
            {
                "type": "context_actions",
                "elements": [
                    {
                        **FEEDBACK_BUTTONS,
                        "positive_button": {"text": {"type": "mrkdwn", "text": "y"}, "value": "up"},
                    }
                ],
            },
            "/blocks/0/elements/0/positive_button/text",
        ),
        ({"type": "context_actions", "elements": [{"type": "button"}]}, "/blocks/0/elements/0"),
        ({"type": "section", "block_id": "x" * 256}, "/blocks/0/block_id"),
        ({"text": "no type"}, "/blocks/0"),
    ],
)
def test_malformed_ai_blocks_are_invalid_blocks(block: dict[str, Any], pointer: str) -> None:
    """Each malformed block is invalid_blocks with a line naming where it failed."""
    error = _error([block])
    assert error.error == "invalid_blocks"
    assert error.messages is not None
    assert error.messages[0].endswith(f"[json-pointer:{pointer}]")


async def test_posts_updates_and_stops_refuse_malformed_blocks(
    client: AsyncWebClient, sandbox: SlackSandbox
) -> None:
    """chat.postMessage, chat.update and chat.stopStream answer invalid_blocks and store
    nothing of it."""
    bad = [{**TASK, "status": "done"}]
    with pytest.raises(SlackApiError, match="invalid_blocks"):
        await client.chat_postMessage(channel="C0GENERAL", text="x", blocks=bad)
    ts = (await client.chat_postMessage(channel="C0GENERAL", text="ok"))["ts"]
    with pytest.raises(SlackApiError, match="invalid_blocks"):
        await client.chat_update(channel="C0GENERAL", ts=ts, text="x", blocks=bad)
    dm = (await sandbox.people.say("hi", channel="D0ALICE")).ts
    stream = (await client.chat_startStream(channel="D0ALICE", thread_ts=dm))["ts"]
    with pytest.raises(SlackApiError, match="invalid_blocks"):
        await client.chat_stopStream(channel="D0ALICE", ts=stream, blocks=bad)
    with pytest.raises(SlackApiError, match="invalid_blocks"):
        await client.chat_appendStream(
            channel="D0ALICE", ts=stream, chunks=[{"type": "blocks", "blocks": bad}]
        )
    assert sandbox.workspace.store.get("C0GENERAL", ts)["text"] == "ok"
    live = sandbox.streams.get(stream)
    assert live is not None
    assert live.state == "streaming"


def test_content_is_markdown_text_then_chunks() -> None:
    """markdown_text comes first, then the chunks in order, each read into its value."""
    content = read_content(
        {
            "markdown_text": "Hi ",
            "chunks": [
                {"type": "markdown_text", "text": "there"},
                {"type": "plan_update", "title": "Plan"},
                {"type": "task_update", "id": "a", "title": "A", "status": "pending"},
                {"type": "blocks", "blocks": [TASK]},
            ],
        }
    )
    assert content == [
        TextChunk("Hi "),
        TextChunk("there"),
        PlanChunk("Plan"),
        TaskChunk("a", "A", "pending"),
        BlocksChunk((TASK,)),
    ]
    assert read_content({}) == []


@pytest.mark.parametrize(
    ("args", "error"),
    [
        ({"chunks": "not a list"}, "invalid_chunks"),
        ({"chunks": [{"type": "markdown_text"}]}, "invalid_chunks"),
        ({"chunks": [{"type": "task_update", "id": "a", "title": "A"}]}, "invalid_chunks"),
        ({"chunks": [{"type": "plan_update", "title": ""}]}, "invalid_chunks"),
        ({"chunks": [{"type": "blocks", "blocks": []}]}, "invalid_chunks"),
        (
            {
                "chunks": [
                    {
                        "type": "task_update",
                        "id": "a",
                        "title": "A",
                        "status": "pending",
                        "sources": [{}],
                    }
                ]
            },
            "invalid_chunks",
        ),
        ({"chunks": [{"type": "markdown_text", "text": "x" * 12_001}]}, "msg_too_long"),
        ({"markdown_text": 5}, "invalid_arguments"),
    ],
)
def test_malformed_content_is_refused(args: dict[str, Any], error: str) -> None:
    """Chunks of the wrong shape, text past 12,000 characters and non-text markdown fail."""
    with pytest.raises(ApiError) as info:
        read_content(args)
    assert info.value.error == error


def test_a_stream_renders_in_arrival_order() -> None:
    """Text runs merge; timeline tasks take their first place; blocks chunks sit where they
    came; the stop's blocks go at the bottom."""
    stream = Stream("C1", "1.1", "1.0", None, None, "timeline", 0.0)
    stream.apply(
        [
            TextChunk("a"),
            TextChunk("b"),
            TaskChunk("t", "T", "pending"),
            BlocksChunk(({"type": "divider"},)),
            TaskChunk("t", "T", "complete", details="done"),
            TextChunk("c"),
        ]
    )
    stream.final_blocks = [{"type": "context_actions", "elements": [FEEDBACK_BUTTONS]}]
    blocks = render_blocks(stream)
    assert [b["type"] for b in blocks] == [
        "markdown",
        "task_card",
        "divider",
        "markdown",
        "context_actions",
    ]
    assert blocks[0]["text"] == "ab"
    assert blocks[1]["status"] == "complete"
    assert blocks[1]["details"]["type"] == "rich_text"
    assert stream.text == "abc"
    check_blocks(blocks)


async def test_markdown_text_posts_and_updates(client: AsyncWebClient) -> None:
    """chat.postMessage and chat.update take markdown_text alone (shown as a markdown block),
    refuse it beside text or blocks, and refuse more than 12,000 characters."""
    posted = await client.chat_postMessage(channel="C0GENERAL", markdown_text="**Deployed**")
    assert posted["message"]["text"] == "**Deployed**"
    assert posted["message"]["blocks"] == [{"type": "markdown", "text": "**Deployed**"}]
    updated = await client.chat_update(
        channel="C0GENERAL", ts=posted["ts"], markdown_text="**Rolled back**"
    )
    assert updated["message"]["blocks"] == [{"type": "markdown", "text": "**Rolled back**"}]
    with pytest.raises(SlackApiError, match="markdown_text_conflict"):
        await client.chat_postMessage(channel="C0GENERAL", text="x", markdown_text="y")
    with pytest.raises(SlackApiError, match="msg_too_long"):
        await client.chat_postMessage(channel="C0GENERAL", markdown_text="x" * 12_001)
