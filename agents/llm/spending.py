"""Model spending: each call's tokens and cost recorded, and the daily budgets (per agent,
person and channel) checked before a call, for the planner and the router's classifier."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import KW_ONLY, dataclass
from datetime import datetime, time

import structlog

from agents.kernel.clock import Clock
from agents.kernel.models import Inbound
from agents.llm.budgets import Budgets, Price
from agents.llm.chat import Completion
from agents.llm.usage import SpendQuery, UsageRecord, UsageStore

__all__ = ["ROUTER_AGENT", "Spending"]

log = structlog.get_logger(__name__)

ROUTER_AGENT = "router"
"""The ``agent`` the classifier's usage is recorded under (KPIs and budgets see it apart)."""


@dataclass(frozen=True, slots=True)
class Spending:
    """Records model calls and checks the daily budgets they count against."""

    usage: UsageStore
    _: KW_ONLY
    prices: Mapping[tuple[str, str], Price]
    budgets: Budgets
    clock: Clock

    async def over_budget(
        self, inbound: Inbound, *, agent: str | None = None, agent_limit: int | None = None
    ) -> str | None:
        """The first budget whose spend today reached its limit: ``budget_agent`` (when an
        agent and its limit are given), ``budget_user``, ``budget_channel``; else None."""
        now = self.clock.now()
        since = datetime.combine(now.date(), time(0), tzinfo=now.tzinfo)
        checks = (
            ("budget_agent", agent_limit if agent is not None else None, {"agent": agent}),
            ("budget_user", self.budgets.per_user_daily_micros, {"user_id": inbound.user_id}),
            (
                "budget_channel",
                self.budgets.per_channel_daily_micros,
                {"channel_id": inbound.channel_id},
            ),
        )
        for reason, limit, narrow in checks:
            if limit is None:
                continue
            spent = await self.usage.spent(SpendQuery(inbound.team_id, since, **narrow))
            if spent >= limit:
                log.info("llm_budget_exhausted", scope=reason, spent_micros=spent, limit=limit)
                return reason
        return None

    async def record(
        self,
        inbound: Inbound,
        provider: str,
        completion: Completion,
        *,
        fallback: str,
        agent: str = ROUTER_AGENT,
    ) -> int:
        """Store one call's tokens and cost for ``agent`` (priced by the answering model, else
        ``fallback``, the model asked for); returns the cost in micro-dollars."""
        price = self.prices.get((provider, completion.model)) or self.prices.get(
            (provider, fallback)
        )
        if price is None:
            log.warning("llm_price_unknown", provider=provider, model=completion.model)
        usage = completion.usage
        cost = price.cost_micros(usage.input_tokens, usage.output_tokens) if price else 0
        await self.usage.record(
            UsageRecord(
                trace_id=inbound.trace_id,
                team_id=inbound.team_id,
                channel_id=inbound.channel_id,
                user_id=inbound.user_id,
                agent=agent,
                provider=provider,
                model=completion.model,
                input_tokens=usage.input_tokens,
                output_tokens=usage.output_tokens,
                cost_micros=cost,
                at=self.clock.now(),
            )
        )
        return cost
