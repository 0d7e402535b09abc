"""Test doubles shared by the integration tests: a clock the test moves and a sleep that only
records, so breakers and retry policies are tested without waiting."""

from __future__ import annotations

__all__ = ["FakeClock", "RecordingSleep"]


class FakeClock:
    """Monotonic seconds that move only when the test says."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class RecordingSleep:
    """Stands in for ``asyncio.sleep`` in retry policies: records each wait, waits for none."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
