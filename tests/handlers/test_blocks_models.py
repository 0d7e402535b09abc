"""The answer's blocks built as plain dicts are what slack_sdk's block models render.

``handlers.blocks`` and ``feedback_block`` skip the models on the hot path (building and
validating them cost a quarter of a millisecond per answer); these tests build the same
blocks through the models and hold the two equal, edge cases included (empty texts, clipped
ones, many items, a record and a note).
"""

from __future__ import annotations

import pytest
from slack_sdk.models.blocks import (
    ContextActionsBlock,
    ContextBlock,
    FeedbackButtonObject,
    FeedbackButtonsElement,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from agents.kernel.models import Outbound, Reply, ReplyItem
from handlers.blocks import annotation_blocks, reply_blocks
from handlers.review_blocks import feedback_block

TRACE = "12685c19502048ce8c4cdfa7a8bf556c-long-tail"


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _modelled(outbound: Outbound) -> list[dict[str, object]]:
    """The blocks as the models build them (what reply_blocks built before)."""
    reply, blocks = outbound.reply, []
    if reply.title:
        blocks.append(HeaderBlock(text=PlainTextObject(text=_clip(reply.title, 150))))
    texts = (
        [reply.text.split("\n", 1)[0], *(f"*{i.label}*\n{i.detail}" for i in reply.items[:40])]
        if reply.items
        else [reply.text]
    )
    blocks += [SectionBlock(text=MarkdownTextObject(text=_clip(t, 3000))) for t in texts]
    blocks += annotation_blocks(reply)
    footer = f"{outbound.agent} · trace `{outbound.trace_id[:12]}`"
    blocks.append(ContextBlock(elements=[MarkdownTextObject(text=footer)]))
    return [*(b.to_dict() for b in blocks), _feedback_modelled(outbound.trace_id)]


def _feedback_modelled(trace_id: str) -> dict[str, object]:
    buttons = FeedbackButtonsElement(
        action_id="feedback",
        positive_button=FeedbackButtonObject(
            text="👍", value=f"up:{trace_id}", accessibility_label="This answer helped"
        ),
        negative_button=FeedbackButtonObject(
            text="👎", value=f"down:{trace_id}", accessibility_label="This answer was wrong"
        ),
    )
    return ContextActionsBlock(block_id=f"feedback-{trace_id[:32]}", elements=[buttons]).to_dict()


@pytest.mark.parametrize(
    "reply",
    [
        Reply(text="hello *there*"),
        Reply(text=""),
        Reply(text="x" * 5000, title="t" * 400),
        Reply(text="intro\nrest", title="", items=(ReplyItem("a", ""), ReplyItem("", "b"))),
        Reply(text="many", items=tuple(ReplyItem(f"l{n}", "d" * 3100) for n in range(45))),
        Reply(text="done", record="1 proposal " * 300, note="degraded"),
    ],
)
def test_the_dict_blocks_equal_what_the_models_render(reply: Reply) -> None:
    outbound = Outbound(
        trace_id=TRACE, team_id="T1", channel_id="C1", thread_ts="1.1", agent="help", reply=reply
    )
    assert reply_blocks(outbound) == _modelled(outbound)


@pytest.mark.parametrize("trace_id", [TRACE, "t", ""])
def test_the_feedback_block_equals_what_the_models_render(trace_id: str) -> None:
    assert feedback_block(trace_id) == _feedback_modelled(trace_id)
