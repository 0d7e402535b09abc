"""A turn's thread context within the agent's token budget: newest messages first, and an
extractive summary of the older ones that did not fit.

Tokens are estimated at four characters each plus four per message (no tokenizer that
downloads files at run time), times a factor calibrated by the providers' reported usage:
after each model call the planner tells the :class:`TokenEstimator` how many input tokens the
provider counted for a request it had estimated. A quarter of the budget is kept for the
summary once the thread no longer fits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from agents.core.memory import ThreadMemory
from agents.core.models import StoredMessage
from agents.core.summary import extractive_summary

__all__ = [
    "REFRESH_AFTER",
    "ThreadContext",
    "TokenEstimator",
    "assemble_context",
    "estimate_tokens",
]

REFRESH_AFTER = 20
"""A stored summary is remade once this many more messages fell out of the budget."""

_SUMMARY_SHARE = 4  # 1/4 of the budget
_FACTOR_BOUNDS = (0.5, 3.0)
_WARMUP = 20


def estimate_tokens(text: str) -> int:
    """Four characters a token, plus four for the message's framing (uncalibrated)."""
    return len(text) // 4 + 4


class TokenEstimator:
    """The 4-characters estimate, scaled by what providers actually reported.

    The factor is the mean ratio of reported to estimated input tokens over the first 20
    calls, then an exponential average (weight 0.1), kept within 0.5-3.
    """

    def __init__(self) -> None:
        self.factor = 1.0
        self.samples = 0

    def tokens(self, text: str) -> int:
        """The calibrated estimate for one message."""
        return max(1, round(estimate_tokens(text) * self.factor))

    def observe(self, *, estimated: int, reported: int) -> None:
        """Learn from one call: ``estimated`` uncalibrated tokens, ``reported`` by the provider."""
        if estimated <= 0 or reported <= 0:
            return
        ratio = reported / estimated
        if self.samples < _WARMUP:
            factor = (self.factor * self.samples + ratio) / (self.samples + 1)
        else:
            factor = 0.9 * self.factor + 0.1 * ratio
        low, high = _FACTOR_BOUNDS
        self.factor = min(high, max(low, factor))
        self.samples += 1


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
