"""Step: the per-person turn rate limit (a token bucket shared by every replica)."""

from __future__ import annotations

import structlog

from agents.kernel.clock import Clock
from agents.kernel.models import Reply
from agents.turns.pipeline import TurnState
from agents.turns.ports import RateLimiter

__all__ = ["RATE_LIMITED", "RateLimit"]

log = structlog.get_logger(__name__)

RATE_LIMITED = (
    "You are sending requests faster than I take them (at most {capacity} in a burst). "
    "Please wait a moment and ask again."
)


class RateLimit:
    """Refuses the turn when the person's bucket is empty."""

    def __init__(
        self, limiter: RateLimiter, *, capacity: int, refill_per_second: float, clock: Clock
    ) -> None:
        self._limiter = limiter
        self._capacity = capacity
        self._refill = refill_per_second
        self._clock = clock

    async def __call__(self, turn: TurnState) -> None:
        """Take a token from ``turns:<team>:<user>``; answer with a refusal if there is none."""
        inbound = turn.inbound
        allowed = await self._limiter.take(
            f"turns:{inbound.team_id}:{inbound.user_id}",
            capacity=self._capacity,
            refill_per_second=self._refill,
            now=self._clock.now(),
        )
        if not allowed:
            log.info("turn_rate_limited")
            text = RATE_LIMITED.format(capacity=self._capacity)
            turn.answer(Reply(text=text), outcome="refused")
