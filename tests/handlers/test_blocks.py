"""Block Kit rendering of replies: pure functions, within Slack's limits."""

from __future__ import annotations

from agents.kernel.models import Outbound, Reply, ReplyItem
from handlers.blocks import TURN_EVENT_TYPE, reply_blocks, reply_metadata, reply_text
from handlers.review_blocks import parse_feedback


def _outbound(reply: Reply) -> Outbound:
    return Outbound(
        trace_id="0123456789abcdef0123",
        team_id="T1",
        channel_id="C1",
        thread_ts="1.1",
        agent="help",
        reply=reply,
    )


def test_plain_reply_is_one_section_a_context_footer_and_feedback_buttons() -> None:
    """A reply without title or items renders as a section, agent/trace context, and
    Slack's native 👍 / 👎 (feedback buttons in a context actions block), each value naming
    the vote and the turn's trace id."""
    blocks = reply_blocks(_outbound(Reply(text="hello *there*")))
    assert [b["type"] for b in blocks] == ["section", "context", "context_actions"]
    (buttons,) = blocks[2]["elements"]
    assert (buttons["type"], buttons["action_id"]) == ("feedback_buttons", "feedback")
    positive, negative = buttons["positive_button"], buttons["negative_button"]
    assert (positive["text"]["text"], positive["value"]) == ("👍", "up:0123456789abcdef0123")
    assert (negative["text"]["text"], negative["value"]) == ("👎", "down:0123456789abcdef0123")
    assert parse_feedback(positive["value"]) == ("up", "0123456789abcdef0123")
    assert parse_feedback(negative["value"]) == ("down", "0123456789abcdef0123")
    assert blocks[0]["text"] == {"type": "mrkdwn", "text": "hello *there*"}
    assert "help" in blocks[1]["elements"][0]["text"]
    assert "0123456789ab" in blocks[1]["elements"][0]["text"]


def test_titled_list_reply_renders_header_and_one_section_per_item() -> None:
    """Help-style replies: header, intro line, one section per item."""
    reply = Reply(
        text="Intro line\n• a: x",
        title="Switchboard help",
        items=(ReplyItem("a", "does x"), ReplyItem("b", "does y")),
    )
    blocks = reply_blocks(_outbound(reply))
    assert [b["type"] for b in blocks] == [
        "header",
        "section",
        "section",
        "section",
        "context",
        "context_actions",
    ]
    assert blocks[1]["text"]["text"] == "Intro line"
    assert blocks[2]["text"]["text"] == "*a*\ndoes x"


def test_long_text_is_clipped_to_slack_limits() -> None:
    """Section text stays within 3000 characters; the fallback text within 3900."""
    reply = Reply(text="x" * 10_000, title="t" * 500)
    blocks = reply_blocks(_outbound(reply))
    assert len(blocks[0]["text"]["text"]) <= 150
    assert len(blocks[1]["text"]["text"]) <= 3000
    assert len(reply_text(reply)) <= 3900


def test_metadata_carries_the_trace_id() -> None:
    """The reply's message metadata names the turn, so it can be found after a crash."""
    metadata = reply_metadata(_outbound(Reply(text="x")))
    assert metadata == {
        "event_type": TURN_EVENT_TYPE,
        "event_payload": {"trace_id": "0123456789abcdef0123", "agent": "help"},
    }


def test_a_feedback_value_that_is_not_ours_is_refused() -> None:
    """Values without a vote, or without a trace after it, parse to nothing."""
    assert parse_feedback("positive_feedback") is None
    assert parse_feedback("up:") is None
    assert parse_feedback("0123456789abcdef0123") is None


def test_the_record_line_is_a_context_under_the_answer_before_the_note() -> None:
    """Switchboard's record of the turn's calls shows under the answer, then the note, then
    the footer; the plain-text fallback carries it too."""
    reply = Reply(
        text="I can't do that.",
        record="Switchboard: refused `failover`: not an action this agent offers you",
        note="Answered by the rules planner: x.",
    )
    blocks = reply_blocks(_outbound(reply))
    assert [b["type"] for b in blocks] == [
        "section",
        "context",
        "context",
        "context",
        "context_actions",
    ]
    assert blocks[1]["elements"][0]["text"] == (
        "🧾 Switchboard: refused `failover`: not an action this agent offers you"
    )
    assert blocks[2]["elements"][0]["text"] == "_Answered by the rules planner: x._"
    assert reply_text(reply).splitlines() == [
        "I can't do that.",
        "Switchboard: refused `failover`: not an action this agent offers you",
        "Answered by the rules planner: x.",
    ]
