"""Model spending: each call's tokens and cost recorded, and the daily budgets (per agent,
person and channel) checked before a call, for the planner and the router's classifier."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, time

import structlog

from agents.kernel.clock import Clock
from agents.kernel.models import Inbound
from agents.llm.budgets import Budgets, Price
from agents.llm.chat import Completion
from agents.llm.usage import UsageRecord, UsageStore

__all__ = ["ROUTER_AGENT", "Spending"]

log = structlog.get_logger(__name__)

ROUTER_AGENT = "router"
"""The ``agent`` the classifier's usage is recorded under (KPIs and budgets see it apart)."""


class Spending:
    """Records model calls and checks the daily budgets they count against."""

    def __init__(
        self,
        usage: UsageStore,
        *,
        prices: Mapping[tuple[str, str], Price],
        budgets: Budgets,
        clock: Clock,
    ) -> None:
        self._usage = usage
        self._prices = prices
        self._budgets = budgets
        self._clock = clock

    async def over_budget(
        self, inbound: Inbound, *, agent: str | None = None, agent_limit: int | None = None
    ) -> str | None:
        """The first budget whose spend today reached its limit: ``budget_agent`` (when an
        agent and its limit are given), ``budget_user``, ``budget_channel``; else None."""
        now = self._clock.now()
        since = datetime.combine(now.date(), time(0), tzinfo=now.tzinfo)
        checks = (
            ("budget_agent", agent_limit if agent is not None else None, {"agent": agent}),
            ("budget_user", self._budgets.per_user_daily_micros, {"user_id": inbound.user_id}),
            (
                "budget_channel",
                self._budgets.per_channel_daily_micros,
                {"channel_id": inbound.channel_id},
            ),
        )
        for reason, limit, narrow in checks:
            if limit is None:
                continue
            spent = await self._usage.spent(team_id=inbound.team_id, since=since, **narrow)
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
        price = self._prices.get((provider, completion.model)) or self._prices.get(
            (provider, fallback)
        )
        if price is None:
            log.warning("llm_price_unknown", provider=provider, model=completion.model)
        usage = completion.usage
        cost = price.cost_micros(usage.input_tokens, usage.output_tokens) if price else 0
        await self._usage.record(
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
                at=self._clock.now(),
            )
        )
        return cost
