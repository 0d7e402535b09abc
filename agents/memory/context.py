"""A turn's thread context within the agent's token budget: newest messages first, and an
extractive summary of the older ones that did not fit.

Tokens are counted by :class:`agents.llm.tokens.TokenEstimator` (calibrated by what the
providers report). A quarter of the budget is kept for the summary once the thread no longer
fits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from agents.kernel.models import StoredMessage
from agents.llm.tokens import TokenEstimator, estimate_tokens
from agents.memory.summary import extractive_summary
from agents.memory.threads import ThreadMemory

__all__ = ["REFRESH_AFTER", "ThreadContext", "assemble_context"]

REFRESH_AFTER = 20
"""A stored summary is remade once this many more messages fell out of the budget."""

_SUMMARY_SHARE = 4  # 1/4 of the budget


@dataclass(frozen=True, slots=True)
class ThreadContext:
    """What of a thread goes to the model: its pinned facts, a summary of the older part and
    the newest messages verbatim, oldest first.

    Attributes:
        covered: how many of the oldest messages the summary covers.
        refreshed: the summary was made now (store it); False when the stored one was used.
    """

    summary: str
    messages: tuple[StoredMessage, ...]
    facts: tuple[str, ...] = ()
    covered: int = 0
    refreshed: bool = False
    older: tuple[StoredMessage, ...] = ()


def assemble_context(
    stored: Sequence[StoredMessage],
    *,
    budget: int,
    exclude_trace: str = "",
    estimator: TokenEstimator | None = None,
    memory: ThreadMemory | None = None,
    refresh_after: int = REFRESH_AFTER,
) -> ThreadContext:
    """Fit ``stored`` (any order) into ``budget`` tokens, pinned facts first.

    A stored summary is reused until ``refresh_after`` more messages have fallen out of the
    budget since it was made; then a new extractive one is made (``refreshed``).
    """
    facts = memory.facts if memory is not None else ()
    count = estimator.tokens if estimator is not None else estimate_tokens
    ordered = sorted((m for m in stored if m.trace_id != exclude_trace), key=lambda m: m.created_at)
    total = sum(count(m.text) for m in ordered)
    budget -= sum(count(fact) for fact in facts)
    if total <= budget:
        return ThreadContext("", tuple(ordered), facts)
    summary_budget = budget // _SUMMARY_SHARE
    remaining = budget - summary_budget
    kept: list[StoredMessage] = []
    for message in reversed(ordered):
        cost = count(message.text)
        if cost > remaining:
            break
        remaining -= cost
        kept.append(message)
    older = ordered[: len(ordered) - len(kept)]
    if memory is not None and memory.summary and 0 <= len(older) - memory.covered < refresh_after:
        return ThreadContext(memory.summary, tuple(reversed(kept)), facts, memory.covered)
    factor = estimator.factor if estimator is not None else 1.0
    summary = extractive_summary(older, max_chars=int(summary_budget * 4 / factor))
    return ThreadContext(
        summary, tuple(reversed(kept)), facts, len(older), refreshed=True, older=tuple(older)
    )
