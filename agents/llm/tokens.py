"""Token estimates without a tokenizer: four characters a token, calibrated by what the
providers report.

No tokenizer that downloads files at run time: after each model call the planner tells the
:class:`TokenEstimator` how many input tokens the provider counted for a request it had
estimated, and the factor follows.
"""

from __future__ import annotations

__all__ = ["TokenEstimator", "estimate_tokens"]

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
