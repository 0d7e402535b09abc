"""Step: the per-person turn rate limit (a token bucket shared by every replica)."""

from __future__ import annotations

from dataclasses import KW_ONLY, dataclass

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


@dataclass(frozen=True, slots=True)
class RateLimit:
    """Refuses the turn when the person's bucket is empty."""

    limiter: RateLimiter
    _: KW_ONLY
    capacity: int
    refill_per_second: float
    clock: Clock

    async def __call__(self, turn: TurnState) -> None:
        """Take a token from ``turns:<team>:<user>``; answer with a refusal if there is none."""
        inbound = turn.inbound
        allowed = await self.limiter.take(
            f"turns:{inbound.team_id}:{inbound.user_id}",
            capacity=self.capacity,
            refill_per_second=self.refill_per_second,
            now=self.clock.now(),
        )
        if not allowed:
            log.info("turn_rate_limited")
            text = RATE_LIMITED.format(capacity=self.capacity)
            turn.answer(Reply(text=text), outcome="refused")
