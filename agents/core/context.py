"""A turn's thread context within the agent's token budget: newest messages first, and an
extractive summary of the older ones that did not fit.

Tokens are estimated at four characters each plus four per message (a documented estimate;
no tokenizer that downloads files at run time). A quarter of the budget is kept for the
summary once the thread no longer fits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from agents.core.models import StoredMessage
from agents.core.summary import extractive_summary

__all__ = ["ThreadContext", "assemble_context", "estimate_tokens"]

_SUMMARY_SHARE = 4  # 1/4 of the budget


def estimate_tokens(text: str) -> int:
    """Four characters a token, plus four for the message's framing."""
    return len(text) // 4 + 4


@dataclass(frozen=True, slots=True)
class ThreadContext:
    """What of a thread goes to the model: a summary of the older part and the newest
    messages verbatim, oldest first."""

    summary: str
    messages: tuple[StoredMessage, ...]


def assemble_context(
    stored: Sequence[StoredMessage], *, budget: int, exclude_trace: str = ""
) -> ThreadContext:
    """Fit ``stored`` (any order) into ``budget`` tokens."""
    ordered = sorted((m for m in stored if m.trace_id != exclude_trace), key=lambda m: m.created_at)
    total = sum(estimate_tokens(m.text) for m in ordered)
    if total <= budget:
        return ThreadContext("", tuple(ordered))
    summary_budget = budget // _SUMMARY_SHARE
    remaining = budget - summary_budget
    kept: list[StoredMessage] = []
    for message in reversed(ordered):
        cost = estimate_tokens(message.text)
        if cost > remaining:
            break
        remaining -= cost
        kept.append(message)
    older = ordered[: len(ordered) - len(kept)]
    summary = extractive_summary(older, max_chars=summary_budget * 4)
    return ThreadContext(summary, tuple(reversed(kept)))
