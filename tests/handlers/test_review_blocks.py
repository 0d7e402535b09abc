"""The reviewer's App Home: a flagged turn (an ungrounded claim) in the review queue."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from agents.feedback.review import ReviewerHome
from agents.feedback.values import ReviewItem
from handlers.review_blocks import LABEL_PREFIX, home_view

AT = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def test_a_flagged_turn_shows_why_with_the_marked_answer_and_review_buttons() -> None:
    """The headline says the model claimed what the records do not show; every line of the
    answer as posted is quoted; the label buttons act on the turn."""
    flag = ReviewItem(
        trace_id="trace-flagged",
        kind="flag",
        team_id="T1",
        channel_id="C1",
        agent="deploy",
        by="",
        at=AT,
        comment=(
            "⚠️ Not confirmed by Switchboard's records: no action ran.\n> Done: prod failed over"
        ),
    )
    view = home_view(ReviewerHome(7, (), (flag,)), links={"trace-flagged": "https://x/p1"})
    text = json.dumps(view["blocks"], ensure_ascii=False)
    assert "⚠️ Ungrounded claim* (deploy)" in text
    assert "> ⚠️ Not confirmed by Switchboard's records" in text
    assert "\\n> > Done: prod failed over" in text
    assert "<https://x/p1|Open the thread>" in text and "<@>" not in text
    (actions,) = [b for b in view["blocks"] if b["type"] == "actions"]
    assert actions["block_id"] == "review:flag:trace-flagged"
    assert f"{LABEL_PREFIX}bug" in {e["action_id"] for e in actions["elements"]}


def test_an_empty_queue_says_nothing_is_flagged_either() -> None:
    """No 👎, rejection or flagged answer: the queue says so."""
    view = home_view(ReviewerHome(7, (), ()), links={})
    assert "no 👎, rejection or flagged answer" in json.dumps(view["blocks"], ensure_ascii=False)
