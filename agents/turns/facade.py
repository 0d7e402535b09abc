"""The one entry point ``handlers`` call: claim, run a turn, record delivery, recover.

A turn is idempotent per trace id: the reply is stored (``pending``) before anyone posts it,
and running the same turn again returns the stored reply instead of asking the agent twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

import structlog

from agents.actions.operations import Operations
from agents.actions.policy import may_request
from agents.actions.spec import ActionSpec
from agents.kernel.clock import Clock
from agents.kernel.errors import ConfigError
from agents.kernel.models import (
    AgentInfo,
    ConversationKey,
    Inbound,
    Outbound,
    Reply,
    ReplyItem,
    Route,
    Trace,
    TurnOutcome,
)
from agents.kernel.redaction import redact
from agents.kernel.words import content_words
from agents.memory.context import ThreadContext, assemble_context
from agents.memory.notes import Note, NoteStore, Viewer
from agents.memory.threads import ThreadMemoryStore
from agents.turns.agent import Agent, TurnContext
from agents.turns.classify import Classifier
from agents.turns.planning import LlmPlanner, Plan, PlanInput, RulesPlanner, degraded_note
from agents.turns.ports import (
    ConversationLocks,
    ConversationStore,
    EventStore,
    RateLimiter,
    TraceStore,
    TurnLedger,
)
from agents.turns.profiles import AgentProfile, PlanningSettings
from agents.turns.router import route

__all__ = ["Stores", "Switchboard"]

log = structlog.get_logger(__name__)

_AGENT_ERROR_REPLY = (
    "Sorry, something went wrong while I worked on that. It is logged with trace id {trace_id}."
)
_RATE_LIMITED = (
    "You are sending requests faster than I take them (at most {capacity} in a burst). "
    "Please wait a moment and ask again."
)
_HISTORY_MESSAGES = 200
_NOTES_IN_CONTEXT = 5
"""At most this many earlier messages of a thread are considered for an LLM's context."""


@dataclass(frozen=True, slots=True)
class _Answer:
    route: Route
    reply: Reply
    plan: Plan | None = None
    outcome: TurnOutcome = "replied"


@dataclass(frozen=True, slots=True)
class Stores:
    """The storage ports the facade needs."""

    events: EventStore
    conversations: ConversationStore
    traces: TraceStore
    ledger: TurnLedger
    locks: ConversationLocks | None = None
    """One turn at a time per thread (None: no lock, for single-task tests)."""


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
        planning: PlanningSettings | None = None,
        llm: LlmPlanner | None = None,
        rate_limiter: RateLimiter | None = None,
        classifier: Classifier | None = None,
        notes: NoteStore | None = None,
        threads: ThreadMemoryStore | None = None,
    ) -> None:
        names = [agent.info.name for agent in agents]
        if len(set(names)) != len(names):
            raise ConfigError("agents", f"agent names must be unique, got {names!r}")
        if fallback not in names:
            raise ConfigError("agents", f"fallback agent {fallback!r} is not registered")
        self._planning = planning or PlanningSettings()
        unknown = sorted(set(self._planning.profiles) - set(names))
        if unknown:
            raise ConfigError("agents", f"no agent is registered for {unknown!r}")
        self._agents = {agent.info.name: agent for agent in agents}
        self._profiles = {
            name: _merge(agent.info, self._planning.profiles.get(name))
            for name, agent in self._agents.items()
        }
        self._catalog = tuple(profile.info for profile in self._profiles.values())
        self._fallback = fallback
        self._stores = stores
        self._clock = clock
        self._operations = operations
        self._rules = RulesPlanner()
        self._llm = llm
        self._rate_limiter = rate_limiter
        self._classifier = classifier
        self._notes = notes
        self._threads = threads

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
        ``fresh`` (a delivery claimed moments ago in this process) skips that look-up. Turns
        in one thread run one at a time (on every replica): the second reads the first's
        reply as context.
        """
        locks = self._stores.locks
        if locks is None or inbound.thread_ts is None:
            return await self._run_turn(inbound, fresh=fresh)
        async with locks.hold(inbound.conversation):
            return await self._run_turn(inbound, fresh=fresh)

    async def _run_turn(self, inbound: Inbound, *, fresh: bool) -> Outbound:
        if not fresh:
            stored = await self._stores.conversations.find_reply(inbound.trace_id)
            if stored is not None:
                return stored
        clock = self._clock
        started_at, t0 = clock.now(), clock.monotonic()
        decision = self._route(inbound, inbound.text)
        t1 = clock.monotonic()
        error: str | None = None
        try:
            answer = await self._answer(inbound, decision)
        except Exception as exc:  # an agent's bug must not lose the turn: answer and record it
            error = f"{type(exc).__name__}: {exc}"[:500]
            log.exception("agent_failed", agent=decision.agent)
            answer = _Answer(
                decision,
                Reply(text=_AGENT_ERROR_REPLY.format(trace_id=inbound.trace_id)),
                outcome="agent_error",
            )
        decision, reply, plan, outcome = answer.route, answer.reply, answer.plan, answer.outcome
        reply = replace(reply, text=redact(reply.text))  # a model may echo a secret it was shown
        t2 = clock.monotonic()
        outbound = Outbound(
            trace_id=inbound.trace_id,
            team_id=inbound.team_id,
            channel_id=inbound.channel_id,
            thread_ts=inbound.thread_ts,
            agent=decision.agent,
            reply=reply,
            outcome=outcome,
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
                planner=plan.planner if plan is not None else "none",
                provider=plan.provider if plan is not None else None,
                input_tokens=plan.input_tokens if plan is not None else 0,
                output_tokens=plan.output_tokens if plan is not None else 0,
                cost_micros=plan.cost_micros if plan is not None else 0,
                degraded=plan.degraded if plan is not None else None,
                tool_calls=plan.tool_calls if plan is not None else (),
            ),
        )
        # The turn's one summary line: what it did and what it cost (delivery is logged by
        # the runner as ``turn_completed``).
        log.info(
            "turn_routed",
            agent=decision.agent,
            route_reason=decision.reason,
            route_score=decision.score,
            outcome=outcome,
            planner=plan.planner if plan is not None else "none",
            degraded=plan.degraded if plan is not None else None,
            tool_calls=list(plan.tool_calls) if plan is not None else [],
            approval_id=reply.approval_id,
            total_ms=round((clock.monotonic() - t0) * 1000, 2),
            input_tokens=plan.input_tokens if plan is not None else 0,
            output_tokens=plan.output_tokens if plan is not None else 0,
            cost_micros=plan.cost_micros if plan is not None else 0,
        )
        return outbound

    def _route(self, inbound: Inbound, text: str, *, channel_id: str | None = None) -> Route:
        ops = self._operations
        return route(
            text,
            self._catalog,
            fallback=self._fallback,
            subcommand=inbound.source == "command",
            channel_id=inbound.channel_id if channel_id is None else channel_id,
            actions=ops.actions if ops is not None else (),
            threshold=self._planning.router.threshold,
        )

    async def _answer(self, inbound: Inbound, decision: Route) -> _Answer:
        """Rate limit, then actions (a pending question), then the routed agent's planner."""
        budgets = self._planning.budgets
        if self._rate_limiter is not None and budgets.rate_capacity is not None:
            allowed = await self._rate_limiter.take(
                f"turns:{inbound.team_id}:{inbound.user_id}",
                capacity=budgets.rate_capacity,
                refill_per_second=budgets.rate_refill_per_second,
                now=self._clock.now(),
            )
            if not allowed:
                log.info("turn_rate_limited")
                text = _RATE_LIMITED.format(capacity=budgets.rate_capacity)
                return _Answer(decision, Reply(text=text), outcome="refused")
        ops = self._operations
        if ops is not None:
            words = decision.text.split()
            if inbound.source == "command" and words[:1] == ["approvals"]:
                return _Answer(
                    replace(decision, agent=self._fallback, reason="explicit"),
                    await self._approvals_for(ops, inbound),
                )
            waiting = await self._pending(ops, inbound, decision)
            if waiting is not None:
                return waiting
        if decision.reason == "ask":
            decision = await self._classify(inbound, decision)
            if decision.reason == "ask":
                return _Answer(decision, _ask_back(decision, inbound.user_id))
        return await self._plan_and_answer(inbound, decision, handoff=True)

    async def _pending(self, ops: Operations, inbound: Inbound, decision: Route) -> _Answer | None:
        continues = inbound.thread_ts is not None and not (
            inbound.source == "mention" and inbound.thread_ts == inbound.ts
        )  # a mention at top level starts a new thread: nothing pending there
        if decision.reason == "explicit" or not continues:
            return None
        previous = await self._stores.conversations.latest_reply(inbound.conversation)
        pending = previous.reply.pending if previous is not None else None
        if pending is None:
            return None
        owner = ops.action(pending.action)
        agent = owner.agent if owner else decision.agent
        # Only the person who asked completes their action (no one else's answer makes them
        # the requester of something they may then approve).
        if pending.requester not in ("", inbound.user_id):
            waiting = Reply(
                text=f"I am waiting for <@{pending.requester}> to answer that.",
                pending=pending,  # keep the question open for them
            )
            return _Answer(Route(agent, "pending", 1.0, decision.text), waiting)
        reply = await ops.fill(inbound, pending)
        if reply is None:
            return None
        return _Answer(Route(agent, "pending", 1.0, decision.text), reply, Plan("rules"))

    async def _classify(self, inbound: Inbound, decision: Route) -> Route:
        if self._classifier is None:
            return decision
        chosen = await self._classifier.classify(
            decision.text, self._catalog, threshold=self._planning.router.threshold, inbound=inbound
        )
        if chosen is None:
            return decision
        name, confidence = chosen
        return Route(name, "llm", round(confidence, 3), decision.text)

    async def _plan_and_answer(
        self, inbound: Inbound, decision: Route, *, handoff: bool
    ) -> _Answer:
        profile = self._profiles.get(decision.agent) or self._profiles[self._fallback]
        ops = self._operations
        scope: tuple[ActionSpec, ...] = ()
        runnable: tuple[ActionSpec, ...] = ()
        if ops is not None:
            scope = _scope(profile, ops.actions)
            person = await ops.person(inbound.user_id, inbound.channel_id)
            runnable = tuple(a for a in ops.actions if may_request(a, person))
        plan: Plan
        if profile.model is not None and self._llm is not None and scope:
            # An agent without actions (knowledge, oncall...) answers itself; its model, if
            # any, is its own business (the knowledge agent composes from runbooks with it).
            offered = tuple(a for a in scope if a in runnable)
            thread = await self._history(inbound, profile)
            notes = await self._relevant_notes(inbound, decision)
            plan = await self._llm.plan(
                PlanInput(
                    inbound,
                    decision.agent,
                    decision.text,
                    profile,
                    offered,
                    thread.messages,
                    notes,
                    thread.summary,
                    thread.facts,
                )
            )
        else:
            plan = self._rules.plan(decision.text, scope)
        if plan.empty and handoff and decision.reason == "binding":
            # The bound agent has nothing for this: hand off through the router (one hop).
            other = self._route(inbound, decision.text, channel_id="")
            if other.agent != decision.agent and other.reason not in ("ask", "fallback"):
                log.info("turn_handed_off", agent=decision.agent, to=other.agent)
                return await self._plan_and_answer(inbound, other, handoff=False)
        if plan.proposal is not None and ops is not None:
            reply = await ops.propose(
                inbound, action=plan.proposal.action, raw=plan.proposal.values
            )
        elif plan.text is not None:
            reply = Reply(text=plan.text)
        else:
            handler = self._agents.get(profile.info.name) or self._agents[self._fallback]
            context = TurnContext(
                inbound=inbound,
                route=decision,
                catalog=self._catalog,
                actions=runnable,
                scope=tuple(a for a in scope if a in runnable),
            )
            reply = await handler.handle(context)
        if plan.degraded is not None:
            reply = replace(reply, note=degraded_note(plan.degraded))
        return _Answer(decision, reply, plan)

    async def _relevant_notes(self, inbound: Inbound, decision: Route) -> tuple[Note, ...]:
        """Long-term notes the asker may see that share a word with the message."""
        words = content_words(decision.text)
        if self._notes is None or not words:
            return ()
        viewer = Viewer(inbound.team_id, inbound.channel_id, inbound.user_id, decision.agent)
        return tuple(await self._notes.recall(viewer, words=words, limit=_NOTES_IN_CONTEXT))

    async def message_changed(self, *, team_id: str, channel_id: str, ts: str, text: str) -> None:
        """A person edited a message in Slack: store the new text (redacted); notes made from
        it are dropped, since they no longer say what the person wrote."""
        await self._stores.conversations.edit_message(
            team_id=team_id, channel_id=channel_id, ts=ts, text=redact(text)
        )
        await self._forget_derived(team_id=team_id, channel_id=channel_id, ts=ts)

    async def message_deleted(self, *, team_id: str, channel_id: str, ts: str) -> None:
        """A person deleted a message in Slack: erase the stored copy and notes made from it."""
        await self._stores.conversations.erase_message(
            team_id=team_id, channel_id=channel_id, ts=ts
        )
        await self._forget_derived(team_id=team_id, channel_id=channel_id, ts=ts)

    async def _forget_derived(self, *, team_id: str, channel_id: str, ts: str) -> None:
        """Notes made from the message go; the channel's stored summaries are remade (one of
        them may quote it)."""
        if self._notes is not None:
            await self._notes.forget_source(team_id=team_id, channel_id=channel_id, ts=ts)
        if self._threads is not None:
            await self._threads.drop_summaries(team_id=team_id, channel_id=channel_id)

    async def forget_user(self, *, team_id: str, user_id: str) -> tuple[int, int]:
        """Erase a person's stored messages and notes; returns ``(messages, notes)``."""
        erased = await self._stores.conversations.erase_user(team_id=team_id, user_id=user_id)
        notes = 0
        if self._notes is not None:
            notes = await self._notes.forget_user(team_id=team_id, user_id=user_id)
        if self._threads is not None:
            await self._threads.drop_summaries(team_id=team_id)
        return erased, notes

    async def _history(self, inbound: Inbound, profile: AgentProfile) -> ThreadContext:
        """The thread so far within the agent's token budget (see :mod:`agents.memory.context`):
        pinned facts, the rolling summary (remade and stored when stale; written by the
        agent's model when it can, else extractive), then the newest messages."""
        if inbound.thread_ts is None:
            return ThreadContext("", ())
        key = inbound.conversation
        stored = await self._stores.conversations.messages(key, limit=_HISTORY_MESSAGES)
        memory = await self._threads.get(key) if self._threads is not None else None
        context = assemble_context(
            stored,
            budget=profile.context_budget,
            exclude_trace=inbound.trace_id,
            estimator=self._llm.estimator if self._llm is not None else None,
            memory=memory,
        )
        if context.refreshed and self._threads is not None:
            summary = context.summary
            if self._llm is not None and context.older:
                written = await self._llm.summarize(inbound, profile, context.older)
                summary = written or summary
            await self._threads.save_summary(
                key, summary=summary, covered=context.covered, now=self._clock.now()
            )
            context = replace(context, summary=summary)
        return context

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


def _merge(builtin: AgentInfo, profile: AgentProfile | None) -> AgentProfile:
    """A registered agent's profile: the config file's fields where given, else the built-in's."""
    if profile is None:
        return AgentProfile(info=builtin)
    configured = profile.info
    info = AgentInfo(
        name=builtin.name,
        description=configured.description or builtin.description,
        keywords=configured.keywords or builtin.keywords,
        examples=configured.examples or builtin.examples,
        channels=configured.channels or builtin.channels,
        owner=configured.owner or builtin.owner,
    )
    return replace(profile, info=info)


def _scope(profile: AgentProfile, actions: Sequence[ActionSpec]) -> tuple[ActionSpec, ...]:
    """The actions an agent may use: as listed in its profile, else those it owns."""
    if profile.actions is not None:
        named = set(profile.actions)
        return tuple(a for a in actions if a.name in named)
    return tuple(a for a in actions if a.agent == profile.info.name)


def _ask_back(decision: Route, user_id: str) -> Reply:
    names = ", ".join(f"*{name}*" for name in decision.candidates)
    return Reply(
        text=f"I am not sure which agent you meant: {names}? Pick one below.",
        choices=decision.candidates,
        asked=decision.text,
        asked_by=user_id,
    )
