"""Thread context under a token budget: the newest messages verbatim, a summary of the rest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from agents.core.context import assemble_context, estimate_tokens
from agents.core.models import StoredMessage
from agents.core.summary import extractive_summary

T0 = datetime(2026, 11, 23, 12, tzinfo=UTC)


def _message(n: int, text: str, *, direction: str = "in") -> StoredMessage:
    return StoredMessage(
        direction,
        "U1" if direction == "in" else "",
        text,
        f"t{n}",
        f"{n}.0",
        T0 + timedelta(seconds=n),
    )  # type: ignore[arg-type]


def test_a_short_thread_goes_whole_without_a_summary() -> None:
    """Everything fits: all messages, oldest first, no summary."""
    stored = [_message(2, "second"), _message(1, "first")]
    context = assemble_context(stored, budget=1000)
    assert context.summary == "" and [m.text for m in context.messages] == ["first", "second"]


def test_the_message_being_answered_is_left_out() -> None:
    """The current turn's own message is sent separately, not as history."""
    context = assemble_context(
        [_message(1, "old"), _message(2, "now")], budget=1000, exclude_trace="t2"
    )
    assert [m.text for m in context.messages] == ["old"]


def test_a_long_thread_keeps_the_newest_and_summarises_the_rest() -> None:
    """Over budget: the newest messages verbatim within 3/4 of it, the opening question and
    the thread's recurring subject in the summary."""
    opening = _message(0, "payments api returns 502 since the deploy of v2.3.1")
    chatter = [_message(n, f"filler words number {n} about lunch plans") for n in range(1, 60)]
    recurring = _message(30, "the 502 on payments api is from the v2.3.1 deploy config")
    newest = [_message(100 + n, f"latest update {n}") for n in range(3)]
    stored = [opening, *chatter[:29], recurring, *chatter[30:], *newest]
    budget = 200
    context = assemble_context(stored, budget=budget)
    assert context.messages[-3:] == tuple(newest)
    assert sum(estimate_tokens(m.text) for m in context.messages) <= budget - budget // 4
    assert context.summary.splitlines()[0] == "<@U1>: " + opening.text
    assert "from the v2.3.1 deploy config" in context.summary
    assert len(context.summary) <= (budget // 4) * 4 + 200


def test_the_summary_respects_its_size_and_keeps_order() -> None:
    """Lines come out in the thread's order and within the character budget."""
    messages = [_message(n, f"deploy api step {n} deploy api") for n in range(20)]
    summary = extractive_summary(messages, max_chars=120)
    lines = summary.splitlines()
    numbers = [int(line.split("step ")[1].split()[0]) for line in lines]
    assert numbers == sorted(numbers) and numbers[0] == 0
    assert len(summary) <= 120 + 20
    assert extractive_summary([], max_chars=100) == ""
