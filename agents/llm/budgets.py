"""What model calls cost and how much may be spent: prices per model, daily budgets and the
per-person turn rate limit."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Budgets", "Price"]


@dataclass(frozen=True, slots=True)
class Price:
    """US dollars per million tokens; ``tokens * usd_per_mtok`` is then micro-dollars."""

    input_per_mtok: float
    output_per_mtok: float

    def cost_micros(self, input_tokens: int, output_tokens: int) -> int:
        """What a call with these token counts cost, in micro-dollars."""
        return round(input_tokens * self.input_per_mtok + output_tokens * self.output_per_mtok)


@dataclass(frozen=True, slots=True)
class Budgets:
    """Spend limits per UTC day and the per-person turn rate limit (token bucket)."""

    per_user_daily_micros: int | None = None
    per_channel_daily_micros: int | None = None
    rate_capacity: int | None = None
    rate_refill_per_second: float = 0.0
