"""The ``budgets:`` section: daily LLM spend limits and the per-person turn rate limit, and
the domain's :class:`Budgets`."""

from __future__ import annotations

from pydantic import Field

from agents.llm.budgets import Budgets
from agents.llm.usage import micros
from bot.config_file.sections.base import Duration, Strict, Usd

__all__ = ["BudgetsModel", "RateLimitModel", "to_budgets", "usd_micros"]


class RateLimitModel(Strict):
    """A token bucket per person: ``turns`` at most, refilled over ``per``."""

    turns: int = Field(ge=1)
    per: Duration


class BudgetsModel(Strict):
    """Daily LLM spend limits (UTC days) and the per-person turn rate limit."""

    per_user_daily_usd: Usd | None = None
    per_channel_daily_usd: Usd | None = None
    rate_limit: RateLimitModel | None = None


def usd_micros(usd: float | None) -> int | None:
    """A dollar amount in millionths of a dollar, the unit spending is counted in."""
    return None if usd is None else micros(usd)


def to_budgets(model: BudgetsModel) -> Budgets:
    """The domain's budgets: the rate limit as a bucket's capacity and refill rate."""
    rate = model.rate_limit
    return Budgets(
        per_user_daily_micros=usd_micros(model.per_user_daily_usd),
        per_channel_daily_micros=usd_micros(model.per_channel_daily_usd),
        rate_capacity=rate.turns if rate else None,
        rate_refill_per_second=rate.turns / rate.per.total_seconds() if rate else 0.0,
    )
