"""The one entry point ``handlers`` call: claim, run a turn, record delivery, recover.

A turn is idempotent per trace id: the reply is stored (``pending``) before anyone posts it,
and running the same turn again returns the stored reply instead of asking the agent twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import structlog

from agents.core.agent import Agent, TurnContext
from agents.core.errors import ConfigError
from agents.core.models import ConversationKey, Inbound, Outbound, Reply, Trace, TurnOutcome
from agents.core.ports import Clock, ConversationStore, EventStore, TraceStore
from agents.core.router import route

__all__ = ["Stores", "Switchboard"]

log = structlog.get_logger(__name__)

_AGENT_ERROR_REPLY = (
    "Sorry, something went wrong while I worked on that. It is logged with trace id {trace_id}."
)


@dataclass(frozen=True, slots=True)
class Stores:
    """The storage ports the facade needs."""

    events: EventStore
    conversations: ConversationStore
    traces: TraceStore


class Switchboard:
    """Claims deliveries, routes and runs turns, and records everything about them."""

    def __init__(
        self,
        agents: Sequence[Agent],
        *,
        fallback: str,
        stores: Stores,
        clock: Clock,
    ) -> None:
        names = [agent.info.name for agent in agents]
        if len(set(names)) != len(names):
            raise ConfigError("agents", f"agent names must be unique, got {names!r}")
        if fallback not in names:
            raise ConfigError("agents", f"fallback agent {fallback!r} is not registered")
        self._agents = {agent.info.name: agent for agent in agents}
        self._catalog = tuple(agent.info for agent in agents)
        self._fallback = fallback
        self._stores = stores
        self._clock = clock

    @property
    def clock(self) -> Clock:
        """The clock every record is stamped with."""
        return self._clock

    async def claim(self, inbound: Inbound) -> bool:
        """Durably claim a delivery; False means it was seen before and must be dropped."""
        return await self._stores.events.claim(inbound)

    async def attempt(self, inbound: Inbound) -> int:
        """Count one more processing attempt of a claimed delivery; returns the count."""
        return await self._stores.events.count_attempt(
            team_id=inbound.team_id, event_id=inbound.event_id
        )

    async def takes_part_in(self, key: ConversationKey) -> bool:
        """Whether the bot answered in this conversation before (so replies there are for it)."""
        return await self._stores.conversations.has_conversation(key)

    async def run_turn(self, inbound: Inbound) -> Outbound:
        """Route and answer one message, storing the message, the reply and the trace.

        Re-running a turn whose reply is already stored returns that reply unchanged.
        """
        stored = await self._stores.conversations.find_reply(inbound.trace_id)
        if stored is not None:
            return stored
        clock = self._clock
        started_at, t0 = clock.now(), clock.monotonic()
        decision = route(
            inbound.text,
            self._catalog,
            fallback=self._fallback,
            subcommand=inbound.source == "command",
        )
        t1 = clock.monotonic()
        outcome: TurnOutcome = "replied"
        error: str | None = None
        try:
            reply = await self._agents[decision.agent].handle(
                TurnContext(inbound=inbound, route=decision, catalog=self._catalog)
            )
        except Exception as exc:  # an agent's bug must not lose the turn: answer and record it
            outcome, error = "agent_error", f"{type(exc).__name__}: {exc}"[:500]
            log.exception("agent_failed", agent=decision.agent)
            reply = Reply(text=_AGENT_ERROR_REPLY.format(trace_id=inbound.trace_id))
        t2 = clock.monotonic()
        outbound = Outbound(
            trace_id=inbound.trace_id,
            team_id=inbound.team_id,
            channel_id=inbound.channel_id,
            thread_ts=inbound.thread_ts,
            agent=decision.agent,
            reply=reply,
        )
        await self._stores.conversations.record_inbound(inbound)
        await self._stores.conversations.record_reply(outbound, now=clock.now())
        await self._stores.traces.save(
            Trace(
                trace_id=inbound.trace_id,
                team_id=inbound.team_id,
                channel_id=inbound.channel_id,
                user_id=inbound.user_id,
                event_id=inbound.event_id,
                source=inbound.source,
                agent=decision.agent,
                route_reason=decision.reason,
                route_score=decision.score,
                outcome=outcome,
                started_at=started_at,
                route_ms=(t1 - t0) * 1000,
                agent_ms=(t2 - t1) * 1000,
                total_ms=(clock.monotonic() - t0) * 1000,
                error=error,
            )
        )
        log.info(
            "turn_routed",
            agent=decision.agent,
            route_reason=decision.reason,
            route_score=decision.score,
            outcome=outcome,
        )
        return outbound

    async def delivered(self, inbound: Inbound, *, ts: str) -> None:
        """Record that the turn's reply reached Slack, and finish the delivery."""
        now = self._clock.now()
        await self._stores.conversations.mark_sent(trace_id=inbound.trace_id, ts=ts)
        await self._stores.traces.mark_delivered(trace_id=inbound.trace_id, at=now)
        await self.finish(inbound, failed=False)

    async def finish(self, inbound: Inbound, *, failed: bool) -> None:
        """Close a claimed delivery: ``done``, or ``failed`` when it was given up."""
        await self._stores.events.finish(
            team_id=inbound.team_id,
            event_id=inbound.event_id,
            status="failed" if failed else "done",
            now=self._clock.now(),
        )

    async def unfinished(self, *, claimed_before: datetime, limit: int = 100) -> Sequence[Inbound]:
        """Deliveries claimed before ``claimed_before`` and never finished (crash recovery)."""
        return await self._stores.events.unfinished(claimed_before=claimed_before, limit=limit)
