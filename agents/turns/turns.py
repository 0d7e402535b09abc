"""The turn service: one message in, one recorded reply out.

A turn is idempotent per trace id: the reply is stored (``pending``) with the trace before
anyone posts it, and running the same turn again returns the stored reply instead of asking
the agent twice. Turns in one thread run one at a time (on every replica): the second reads
the first's reply as context. In between, the message is routed and goes through the named
steps of :mod:`agents.turns.pipeline`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import structlog

from agents.kernel.clock import Clock
from agents.kernel.models import Inbound, Outbound, Reply, ReplyItem
from agents.kernel.redaction import might_hold_secret, redact
from agents.turns.pipeline import Step, TurnState, run_steps
from agents.turns.plan import NO_PLAN
from agents.turns.ports import ConversationLocks, TurnLedger, TurnReplies
from agents.turns.progress import SILENT, Progress
from agents.turns.record import Timings, log_summary, trace_of
from agents.turns.router import Router
from agents.turns.stopping import StopSignal, TurnStopped, stopped_text

__all__ = ["AGENT_ERROR_REPLY", "TurnStores", "Turns", "redacted"]

log = structlog.get_logger(__name__)

AGENT_ERROR_REPLY = (
    "Sorry, something went wrong while I worked on that. It is logged with trace id {trace_id}."
)


def redacted(reply: Reply) -> Reply:
    """``reply`` with every secret redacted from everything it shows: text, title, items and
    note (a knowledge answer's items carry the model's answer and quoted runbook text)."""
    shown = [reply.text, reply.title or "", reply.note or ""]
    shown += [part for item in reply.items for part in (item.label, item.detail)]
    # Every part is a piece of the parts joined: when the whole holds no fixed piece of a
    # pattern, no part does, and the reply is its own redaction. One quick test instead of
    # one a part (no fixed piece holds a line break, so none spans two parts).
    if not might_hold_secret("\n".join(shown)):
        return reply
    return replace(
        reply,
        text=redact(reply.text),
        title=redact(reply.title) if reply.title is not None else None,
        items=tuple(ReplyItem(redact(i.label), redact(i.detail)) for i in reply.items),
        note=redact(reply.note) if reply.note is not None else None,
    )


@dataclass(frozen=True, slots=True)
class TurnStores:
    """The storage ports a turn needs."""

    replies: TurnReplies
    ledger: TurnLedger
    locks: ConversationLocks | None = None
    """One turn at a time per thread (None: no lock, for single-task tests)."""


class Turns:
    """Routes a message, runs the steps, and records the turn."""

    def __init__(
        self, router: Router, steps: Sequence[Step], *, stores: TurnStores, clock: Clock
    ) -> None:
        self._router = router
        self._steps = tuple(steps)
        self._stores = stores
        self._clock = clock

    async def run_turn(
        self,
        inbound: Inbound,
        *,
        fresh: bool = False,
        progress: Progress = SILENT,
        stop: StopSignal | None = None,
    ) -> Outbound:
        """Route and answer one message, storing the message, the reply and the trace.

        Re-running a turn whose reply is already stored returns that reply unchanged.
        ``fresh`` (a delivery claimed moments ago in this process) skips that look-up.
        ``progress`` is told what the turn is doing as it works; ``stop`` ends it early when
        a person asks (the reply then says who stopped it).
        """
        turn_stop = stop if stop is not None else StopSignal()
        locks = self._stores.locks
        if locks is None or inbound.thread_ts is None:
            return await self._run(inbound, fresh=fresh, progress=progress, stop=turn_stop)
        async with locks.hold(inbound.conversation):
            return await self._run(inbound, fresh=fresh, progress=progress, stop=turn_stop)

    async def reply_stored(self, trace_id: str) -> bool:
        """Whether the turn ``trace_id`` has its reply stored (only delivering it remains)."""
        return await self._stores.replies.find_reply(trace_id) is not None

    async def _run(
        self, inbound: Inbound, *, fresh: bool, progress: Progress, stop: StopSignal
    ) -> Outbound:
        if not fresh:
            stored = await self._stores.replies.find_reply(inbound.trace_id)
            if stored is not None:
                return stored
        clock = self._clock
        started_at, t0 = clock.now(), clock.monotonic()
        routed = self._router(inbound, inbound.text)
        t1 = clock.monotonic()
        await progress.routed(routed.agent)
        turn = TurnState(inbound, routed, progress=progress, stop=stop)
        error: str | None = None
        try:
            answered = await run_steps(self._steps, turn)
        except TurnStopped as stopped:
            log.info("turn_stopped", agent=turn.route.agent, by=stopped.by)
            answered = Reply(text=stopped_text(stopped.by))
            turn.answer(answered, outcome="stopped")
        except Exception as exc:  # an agent's bug must not lose the turn: answer and record it
            error = f"{type(exc).__name__}: {exc}"[:500]
            log.exception("agent_failed", agent=routed.agent)
            answered = Reply(text=AGENT_ERROR_REPLY.format(trace_id=inbound.trace_id))
            turn = TurnState(inbound, routed, NO_PLAN, progress=progress)
            turn.answer(answered, outcome="agent_error")
        reply = redacted(answered)  # a model (or a runbook it quotes) may echo a secret
        t2 = clock.monotonic()
        outbound = Outbound(
            trace_id=inbound.trace_id,
            team_id=inbound.team_id,
            channel_id=inbound.channel_id,
            thread_ts=inbound.thread_ts,
            agent=turn.route.agent,
            reply=reply,
            outcome=turn.outcome,
        )
        timings = Timings(
            started_at,
            route_ms=(t1 - t0) * 1000,
            agent_ms=(t2 - t1) * 1000,
            total_ms=(clock.monotonic() - t0) * 1000,
        )
        await self._stores.ledger.record_turn(
            inbound,
            outbound,
            trace_of(inbound, turn, timings, error=error, stopped_by=stop.requested_by),
        )
        log_summary(turn, approval_id=reply.approval_id, total_ms=(clock.monotonic() - t0) * 1000)
        return outbound
