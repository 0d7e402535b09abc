"""A clock a test moves by hand, so expiries and rate windows need no sleeping."""

from __future__ import annotations

import time


class ManualClock:
    """Wall-clock seconds that move only when the test says so."""

    def __init__(self, start: float | None = None) -> None:
        self.now = time.time() if start is None else start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move the clock forward."""
        self.now += seconds
