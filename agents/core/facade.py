"""The one entry point ``handlers`` call: claim, run a turn, record delivery, recover.

A turn is idempotent per trace id: the reply is stored (``pending``) before anyone posts it,
and running the same turn again returns the stored reply instead of asking the agent twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

import structlog

from agents.core.actions import ActionSpec
from agents.core.agent import Agent, TurnContext
from agents.core.errors import ConfigError
from agents.core.models import (
    ConversationKey,
    Inbound,
    Outbound,
    Reply,
    ReplyItem,
    Route,
    Trace,
    TurnOutcome,
)
from agents.core.operations import Operations
from agents.core.ports import Clock, ConversationStore, EventStore, TraceStore, TurnLedger
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
    ledger: TurnLedger


class Switchboard:
    """Claims deliveries, routes and runs turns, and records everything about them."""

    def __init__(
        self,
        agents: Sequence[Agent],
        *,
        fallback: str,
        stores: Stores,
        clock: Clock,
        operations: Operations | None = None,
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
        self._operations = operations

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

    async def run_turn(self, inbound: Inbound, *, fresh: bool = False) -> Outbound:
        """Route and answer one message, storing the message, the reply and the trace.

        Re-running a turn whose reply is already stored returns that reply unchanged.
        ``fresh`` (a delivery claimed moments ago in this process) skips that look-up.
        """
        if not fresh:
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
            decision, reply = await self._answer(inbound, decision)
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
        await self._stores.ledger.record_turn(
            inbound,
            outbound,
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
            ),
        )
        log.info(
            "turn_routed",
            agent=decision.agent,
            route_reason=decision.reason,
            route_score=decision.score,
            outcome=outcome,
        )
        return outbound

    async def _answer(self, inbound: Inbound, decision: Route) -> tuple[Route, Reply]:
        """Actions first (a pending question, a command format), then the routed agent."""
        ops = self._operations
        actions: tuple[ActionSpec, ...] = ()
        if ops is not None:
            words = decision.text.split()
            if inbound.source == "command" and words[:1] == ["approvals"]:
                return replace(decision, agent=self._fallback, reason="explicit"), (
                    await self._approvals_for(ops, inbound)
                )
            continues = inbound.thread_ts is not None and not (
                inbound.source == "mention" and inbound.thread_ts == inbound.ts
            )  # a mention at top level starts a new thread: nothing pending there
            if decision.reason != "explicit" and continues:
                previous = await self._stores.conversations.latest_reply(inbound.conversation)
                pending = previous.reply.pending if previous is not None else None
                # Only the person who asked completes their action (no one else's answer
                # makes them the requester of something they may then approve).
                if pending is not None and pending.requester not in ("", inbound.user_id):
                    owner = ops.action(pending.action)
                    agent = owner.agent if owner else decision.agent
                    waiting = Reply(
                        text=f"I am waiting for <@{pending.requester}> to answer that.",
                        pending=pending,  # keep the question open for them
                    )
                    return Route(agent, "pending", 1.0, decision.text), waiting
                if pending is not None:
                    reply = await ops.fill(inbound, pending)
                    if reply is not None:
                        owner = ops.action(pending.action)
                        agent = owner.agent if owner else decision.agent
                        return Route(agent, "pending", 1.0, decision.text), reply
            found = ops.match(decision.text)
            if found is not None:
                chosen = Route(found.action.agent, "action", 1.0, decision.text)
                return chosen, await ops.propose(inbound, action=found.action, raw=found.values)
            person = await ops.person(inbound.user_id, inbound.channel_id)
            actions = await ops.runnable_by(person)
        handler = self._agents.get(decision.agent) or self._agents[self._fallback]
        context = TurnContext(
            inbound=inbound, route=decision, catalog=self._catalog, actions=actions
        )
        return decision, await handler.handle(context)

    async def _approvals_for(self, ops: Operations, inbound: Inbound) -> Reply:
        person = await ops.person(inbound.user_id, inbound.channel_id)
        waiting = await ops.pending_for(person, team_id=inbound.team_id)
        if not waiting:
            return Reply(text="Nothing is waiting for your approval.")
        items = tuple(
            ReplyItem(
                f"{approval.action} " + " ".join(f"{k}={v}" for k, v in approval.params.items()),
                f"asked by <@{approval.requester}>, {len(approval.approvals)}/{approval.quorum}"
                f" approvals, expires {approval.expires_at:%Y-%m-%d %H:%M} UTC",
            )
            for approval in waiting
        )
        return Reply(
            text=f"{len(waiting)} request(s) waiting:", title="Pending approvals", items=items
        )

    async def delivered(self, inbound: Inbound, *, ts: str) -> None:
        """Record that the turn's reply reached Slack, and finish the delivery."""
        await self._stores.ledger.complete_turn(inbound, ts=ts, now=self._clock.now())

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
