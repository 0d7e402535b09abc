"""Work after the ack: run the turn, post the reply, record it; and recover what a crash left.

The runner owns every background task it starts, bounds how many run at once, and drains
them on shutdown. A delivery that was claimed but not finished stays ``claimed`` in storage
and is picked up by :meth:`TurnRunner.recover` (at start, and periodically). A reply Slack
did not accept is kept and tried again (``handlers/redelivery.py``) until it is delivered or
``reply_deadline`` has passed since the message came: a bound in hours, not attempts (a turn
that keeps crashing before it has a reply is bounded by ``max_attempts``). A reply delivered
``late_after`` or more after its message says it is late.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Protocol

import structlog
from slack_sdk.web.async_client import AsyncWebClient

from agents.kernel.errors import SlackApiFailure
from agents.kernel.models import Inbound, Outbound, TurnOutcome
from agents.kernel.tenancy import acting_for
from agents.turns.turns import Turns
from handlers.bookkeeping import Bookkeeping
from handlers.delivery import Delivery
from handlers.progress import TurnWatch
from handlers.redelivery import Redeliveries
from handlers.slack_calls import PERMANENT_ERRORS
from handlers.stopping import RunningTurns

__all__ = ["TurnRunner", "TurnTracing"]

log = structlog.get_logger(__name__)


class TurnTracing(Protocol):
    """Wraps each turn in a tracing span (the bot's OpenTelemetry wiring implements it)."""

    def turn(self, inbound: Inbound) -> AbstractContextManager[Callable[[Outbound], None]]:
        """A span around the turn; call the yielded function with the turn's reply."""
        ...


def _untraced(_outbound: Outbound) -> None:
    return None


class _Behind(Exception):
    """The reply waits: an earlier reply of its thread is still due."""


def late_note(late: timedelta) -> str:
    """What a reply delivered ``late`` after its message says about it."""
    minutes = max(1, round(late.total_seconds() / 60))
    return f"This answer is {minutes} min late: Slack could not be reached when it was ready."


class TurnRunner:
    """Runs turns in tracked background tasks."""

    def __init__(
        self,
        turns: Turns,
        delivery: Delivery,
        *,
        book: Bookkeeping,
        max_concurrency: int = 64,
        max_attempts: int = 5,
        progress_after: float | None = 1.0,
        live_status: bool = True,
        status_after: float = 0.0,
        stream_answers: bool = True,
        tracing: TurnTracing | None = None,
        running: RunningTurns | None = None,
        live_client: AsyncWebClient | None = None,
        reply_deadline: timedelta = timedelta(hours=6),
        late_after: timedelta = timedelta(minutes=1),
        first_retry: float = 1.0,
        first_signal: Callable[[float], None] | None = None,
    ) -> None:
        """``progress_after``: seconds of work before a ⏳ reaction where no status line can
        be shown (None: never); ``live_status``: show the status line in the turn's thread;
        ``status_after``: seconds a turn works quietly before its first status shows, unless
        it reports slow work sooner (0: at once; see :class:`TurnWatch`);
        ``stream_answers``: stream a model's answer into the thread as it is written;
        ``running``: where Stop finds the turns (default: this process's alone);
        ``live_client``: the client for what a person watches (status, streamed text), one
        that does not retry (default: the delivery's); ``reply_deadline``: how long after
        its message a reply Slack has not accepted is still tried; ``late_after``: from when
        a delivered reply says it is late; ``first_retry``: seconds before a refused reply is
        first tried again; ``first_signal``: told, once per watched turn, the seconds from
        its message reaching the bot to the first thing the person saw of it."""
        self._first_signal = first_signal
        self._live_client = live_client
        self._reply_deadline = reply_deadline
        self._late_after = late_after
        self._redeliveries = Redeliveries(self._retry, first_retry=first_retry)
        self.running = running if running is not None else RunningTurns(None, clock=book.clock)
        self._turns = turns
        self._book = book
        self._tracing = tracing
        self._delivery = delivery
        self._slots = asyncio.Semaphore(max_concurrency)
        self._max_attempts = max_attempts
        self._progress_after = progress_after
        self._live_status = live_status
        self._status_after = status_after
        self._stream_answers = stream_answers
        self._tasks: set[asyncio.Task[None]] = set()
        self._in_flight: set[str] = set()

    @property
    def in_flight(self) -> int:
        """How many turns are running or waiting for a slot."""
        return len(self._tasks)

    @property
    def owed(self) -> int:
        """How many replies Slack has not accepted yet and wait for another try here."""
        return len(self._redeliveries)

    def slack_is_back(self) -> None:
        """Slack is reachable again: the replies owed go now, not at their next backoff."""
        hurried = self._redeliveries.hurry()
        if hurried:
            log.info("replies_hurried", conversations=hurried)

    def _retry(self, inbound: Inbound, response_url: str | None) -> None:
        self._start(inbound, response_url=response_url, recovering=True)

    def submit(self, inbound: Inbound, *, response_url: str | None = None) -> None:
        """Start processing a claimed delivery in the background and return at once."""
        self._start(inbound, response_url=response_url, recovering=False)

    def _start(self, inbound: Inbound, *, response_url: str | None, recovering: bool) -> None:
        self._in_flight.add(inbound.trace_id)
        task = asyncio.create_task(
            self._run(inbound, response_url=response_url, recovering=recovering),
            name=f"turn-{inbound.trace_id}",
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def recover(self, *, claimed_before: datetime, held_too: bool = False) -> int:
        """Restart deliveries claimed before ``claimed_before``, never finished, whose
        holder's lease ran out (``held_too``: every one, for the only process at its start);
        each is leased to this process first, so no other process restarts it too.

        Returns:
            How many were restarted (those over the attempt limit are marked failed).
        """
        restarted = 0
        abandoned = await self._book.take_abandoned(
            claimed_before=claimed_before, held_too=held_too
        )
        for inbound in abandoned:
            if inbound.trace_id in self._in_flight:
                continue
            log.info("event_recovered", trace_id=inbound.trace_id, event_id=inbound.event_id)
            self._start(inbound, response_url=None, recovering=True)
            restarted += 1
        return restarted

    async def keep_leases(self) -> int:
        """Renew the leases of every delivery this process runs or still owes Slack."""
        return await self._book.renew(set(self._in_flight))

    async def drain(self, *, timeout: float) -> int:
        """Wait up to ``timeout`` seconds for running turns; cancel the rest.

        Returns:
            How many were cancelled (they stay claimed and are recovered on the next start).
        """
        self._redeliveries.cancel()  # still claimed: the next start recovers them
        pending = set(self._tasks)
        if not pending:
            return 0
        _done, still = await asyncio.wait(pending, timeout=timeout)
        for task in still:
            task.cancel()
        if still:
            await asyncio.wait(still)
        return len(still)

    async def _run(self, inbound: Inbound, *, response_url: str | None, recovering: bool) -> None:
        structlog.contextvars.bind_contextvars(
            trace_id=inbound.trace_id,
            team_id=inbound.team_id,
            channel_id=inbound.channel_id,
            user_id=inbound.user_id,
        )
        due = self._redeliveries
        try:
            # every call this turn makes acts for its workspace (recovery binds it here too)
            with acting_for(inbound.team_id):
                async with self._slots:
                    await self._process(inbound, response_url=response_url, recovering=recovering)
        except _Behind:
            due.later(inbound, response_url)
        except SlackApiFailure as exc:
            if exc.error in PERMANENT_ERRORS:
                log.error("reply_failed", method=exc.method, error=exc.error, permanent=True)
                await self._book.finish(inbound, failed=True)
                due.delivered(inbound)  # given up: the thread's next reply goes
            else:
                log.warning("reply_failed", method=exc.method, error=exc.error, permanent=False)
                due.later(inbound, response_url)
        except Exception:
            # Left claimed on purpose: recovery retries it; the attempt limit bounds that.
            log.exception("turn_crashed")
            due.delivered(inbound)  # not owed here any more: the thread's next reply goes
        finally:
            if not due.holds(inbound.trace_id):
                self._in_flight.discard(inbound.trace_id)

    async def _process(
        self, inbound: Inbound, *, response_url: str | None, recovering: bool
    ) -> None:
        book = self._book
        clock = book.clock
        attempts = 1  # the claim counted the live attempt
        if recovering and await self._given_up(inbound):
            return
        started = clock.monotonic()
        span = (
            self._tracing.turn(inbound)
            if self._tracing is not None
            else contextlib.nullcontext(_untraced)
        )
        with span as traced:
            posted = await self._answer(
                inbound, traced, response_url=response_url, recovering=recovering
            )
        if posted is not None:
            log.info(
                "turn_completed",
                agent=posted.agent,
                source=inbound.source,
                recovered=recovering,
                attempts=attempts,
                duration_ms=round((clock.monotonic() - started) * 1000, 2),
            )

    async def _given_up(self, inbound: Inbound) -> bool:
        """Count a recovered attempt; give the delivery up (and say so) when its turn keeps
        failing before it has a reply, or its reply is still owed past ``reply_deadline``."""
        book = self._book
        attempts = await book.attempt(inbound)
        age = book.clock.now() - inbound.received_at
        if age > self._reply_deadline:
            log.error("reply_given_up", attempts=attempts - 1, age_s=round(age.total_seconds()))
        elif attempts <= self._max_attempts or await self._turns.reply_stored(inbound.trace_id):
            return False  # a stored reply is owed until the deadline, whatever the attempts
        else:
            log.error("event_given_up", attempts=attempts - 1)
        await book.finish(inbound, failed=True)
        self._redeliveries.delivered(inbound)
        return True

    async def _answer(
        self,
        inbound: Inbound,
        traced: Callable[[Outbound], None],
        *,
        response_url: str | None,
        recovering: bool,
    ) -> Outbound | None:
        """Run the turn and post its reply; the reply if it was posted now, else None."""
        if recovering:  # nobody is watching a recovered turn: no status, no reaction
            with self.running.running(inbound) as stop:
                outbound = await self._turns.run_turn(inbound, stop=stop)
            traced(outbound)
            return await self._deliver(
                outbound, inbound, response_url=response_url, recovering=True
            )
        watch = TurnWatch(
            self._live_client or self._delivery.client,
            self._delivery,
            inbound,
            status=self._live_status,
            status_after=self._status_after,
            reaction_after=self._progress_after,
            stream=self._stream_answers,
            on_stream=lambda ts: self._book.reply_started(inbound, ts),
            on_signal=lambda: self._signalled(inbound),
        )
        outcome: TurnOutcome | None = None
        posted = False
        try:
            await watch.start()
            with self.running.running(inbound) as stop:
                outbound = await self._turns.run_turn(
                    inbound, fresh=True, progress=watch, stop=stop
                )
            outcome = outbound.outcome
            traced(outbound)
            streamed = await watch.answer(outbound)
            if streamed is not None:
                await self._delivered(inbound, ts=streamed)
                posted = True
                return outbound
            result = await self._deliver(outbound, inbound, response_url=response_url)
            posted = True
            watch.signalled()
            return result
        finally:
            await watch.finish(outcome, posted=posted)

    def _signalled(self, inbound: Inbound) -> None:
        if self._first_signal is not None:
            waited = self._book.clock.now() - inbound.received_at
            self._first_signal(max(waited.total_seconds(), 0.0))

    async def _deliver(
        self,
        outbound: Outbound,
        inbound: Inbound,
        *,
        response_url: str | None,
        recovering: bool = False,
    ) -> Outbound | None:
        """Post the reply (unless it was, before a crash); the reply if posted now."""
        book = self._book
        if outbound.status == "sent":
            await book.finish(inbound, failed=False)
            self._redeliveries.delivered(inbound)
            return None
        if recovering:
            ts = await self._delivery.find_posted(outbound, inbound=inbound)
            if ts is not None:
                log.info("reply_found_posted", ts=ts)
                await self._delivered(inbound, ts=ts)
                return None
            started = await book.started_reply(inbound)
            if started is not None and outbound.reply.approval_id is None:
                # A stream the crash cut short: it becomes the whole reply, nothing is posted.
                log.info("reply_stream_finished", ts=started)
                await self._delivery.finish_stream(started, outbound)
                await self._delivered(inbound, ts=started)
                return outbound
        self._redeliveries.enter(inbound, response_url)
        if self._redeliveries.behind(inbound):
            raise _Behind
        late = book.clock.now() - inbound.received_at
        if late >= self._late_after and outbound.reply.approval_id is None:
            reply = outbound.reply
            note = late_note(late)
            outbound = replace(
                outbound, reply=replace(reply, note=f"{reply.note}\n{note}" if reply.note else note)
            )
            log.info("reply_late", late_s=round(late.total_seconds()))
        ts = await self._delivery.post(outbound, inbound=inbound, response_url=response_url)
        await self._delivered(inbound, ts=ts)
        return outbound

    async def _delivered(self, inbound: Inbound, *, ts: str) -> None:
        """The reply reached Slack: record it, and let the thread's next reply go."""
        await self._book.delivered(inbound, ts=ts)
        self._redeliveries.delivered(inbound)
