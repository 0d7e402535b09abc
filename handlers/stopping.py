"""Slack's Stop button: ``agent_session_stopped`` ends the thread's running turn.

Every turn this process runs is registered by thread with its :class:`StopSignal`. When a
person presses Stop, Slack sends ``agent_session_stopped`` (channel, thread, who) to one
replica: it signals the turns it runs in that thread at once and stores the request, and the
other replicas read stored requests every fraction of a second (:meth:`RunningTurns.poll`),
so the replica running the turn stops it even when Slack told another one.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import structlog

from agents.kernel.clock import Clock
from agents.kernel.models import ConversationKey, Inbound
from agents.turns.stopping import StopSignal
from handlers.ports import StopRequests

__all__ = ["RunningTurns", "StopListener"]

log = structlog.get_logger(__name__)


def _in_thread(inbound: Inbound, key: ConversationKey) -> bool:
    """Whether ``inbound``'s turn belongs to the thread ``key`` names (its root or a reply)."""
    if inbound.team_id != key.team_id or inbound.channel_id != key.channel_id:
        return False
    return key.thread_ts in (inbound.thread_ts, inbound.ts)


class RunningTurns:
    """The turns this process runs, by thread, so that Stop reaches them.

    Args:
        requests: where stop requests are shared with other replicas (None: this process is
            the only one, as on SQLite).
    """

    def __init__(self, requests: StopRequests | None, *, clock: Clock) -> None:
        self._requests = requests
        self._clock = clock
        self._turns: dict[str, tuple[Inbound, StopSignal]] = {}
        self._seq: int | None = None

    @contextmanager
    def running(self, inbound: Inbound) -> Iterator[StopSignal]:
        """Register ``inbound``'s turn while it runs; yields the signal Stop sets."""
        signal = StopSignal()
        self._turns[inbound.trace_id] = (inbound, signal)
        try:
            yield signal
        finally:
            self._turns.pop(inbound.trace_id, None)

    def signal(self, key: ConversationKey, *, by: str) -> int:
        """Stop this process's turns in the thread ``key``; how many were running."""
        stopped = 0
        for inbound, signal in list(self._turns.values()):
            if _in_thread(inbound, key) and signal.request(by):
                log.info("turn_stop_requested", trace_id=inbound.trace_id, by=by)
                stopped += 1
        return stopped

    async def stop(self, key: ConversationKey, *, by: str) -> int:
        """Stop the thread's turns here and, through the shared requests, on every replica;
        how many ran here."""
        stopped = self.signal(key, by=by)
        if self._requests is not None:
            await self._requests.request(key, user_id=by, now=self._clock.now())
        return stopped

    async def poll(self) -> int:
        """Apply the stop requests other replicas stored since the last poll; how many of this
        process's turns they stopped (the first poll only notes where the requests stand)."""
        requests = self._requests
        if requests is None:
            return 0
        if self._seq is None:
            self._seq = await requests.last_seq()
            return 0
        stopped = 0
        for request in await requests.after(self._seq):
            self._seq = request.seq
            stopped += self.signal(request.key, by=request.user_id)
        return stopped


class StopListener:
    """``agent_session_stopped``: a person pressed Stop in a thread."""

    def __init__(self, turns: RunningTurns) -> None:
        self._turns = turns

    async def on_stopped(self, event: dict[str, Any], body: dict[str, Any]) -> None:
        """Stop the thread's turn (Bolt acks the event)."""
        team = body.get("team_id")
        channel, thread, user = event.get("channel"), event.get("thread_ts"), event.get("user")
        if not all(isinstance(value, str) and value for value in (team, channel, thread, user)):
            log.warning("payload_malformed", kind="agent_session_stopped")
            return
        key = ConversationKey(str(team), str(channel), str(thread))
        stopped = await self._turns.stop(key, by=str(user))
        log.info("agent_session_stopped", running_here=stopped)
