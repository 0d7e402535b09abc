"""Replies Slack has not accepted yet: kept, retried with backoff, in order within a thread.

A turn's reply is stored before it is posted, so a reply Slack refused for a while (a 5xx, a
dropped connection, a rate limit that outlasted its retries) is not lost: its delivery stays
claimed and this process tries again, after 1, 2, 4… seconds (at most
:data:`RETRY_EVERY_MAX`). The Web API client holds each try at the workspace's gate while
Slack is unreachable, and opens it for every waiting reply at once when Slack is back, so the
backlog drains in seconds. A thread's replies go in the order their messages came: a reply
whose thread has an earlier one still due waits behind it. How long a reply is kept trying is
bounded by time, not attempts (see ``TurnRunner``'s ``reply_deadline``).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import structlog

from agents.kernel.models import ConversationKey, Inbound
from handlers.retry_timer import RETRY_EVERY_MAX, RetryTimer

__all__ = ["RETRY_EVERY_MAX", "Redeliveries"]

log = structlog.get_logger(__name__)


@dataclass(slots=True)
class _Due:
    inbound: Inbound
    response_url: str | None
    timer: RetryTimer


class Redeliveries:
    """The replies this process still owes Slack, by thread, in order.

    Args:
        start: starts one more try of a delivery (the runner's recovering path).
        first_retry: seconds before the first retry (doubling up to :data:`RETRY_EVERY_MAX`).
    """

    def __init__(
        self, start: Callable[[Inbound, str | None], None], *, first_retry: float = 1.0
    ) -> None:
        self._start = start
        self._first = first_retry
        self._due: dict[str, _Due] = {}  # by trace id
        self._threads: dict[ConversationKey, deque[str]] = {}

    def __len__(self) -> int:
        return len(self._due)

    def holds(self, trace_id: str) -> bool:
        """Whether this delivery's reply is in line here (being posted, or waiting)."""
        return trace_id in self._due

    def behind(self, inbound: Inbound) -> bool:
        """Whether an earlier reply of ``inbound``'s thread is still due (this one must wait
        behind it)."""
        queue = self._threads.get(inbound.conversation)
        return queue is not None and len(queue) > 0 and queue[0] != inbound.trace_id

    def enter(self, inbound: Inbound, response_url: str | None) -> None:
        """``inbound``'s reply is about to be posted: it takes its place in its thread's line
        (a later reply of the thread waits until this one is delivered)."""
        self._entered(inbound, response_url)

    def _entered(self, inbound: Inbound, response_url: str | None) -> _Due:
        due = self._due.get(inbound.trace_id)
        if due is None:
            timer = RetryTimer(self._first)
            due = self._due[inbound.trace_id] = _Due(inbound, response_url, timer)
            self._threads.setdefault(inbound.conversation, deque()).append(inbound.trace_id)
        return due

    def later(self, inbound: Inbound, response_url: str | None) -> None:
        """Keep ``inbound``'s reply to try again: after a backoff when it is the first of its
        thread, else once the ones before it were delivered."""
        due = self._entered(inbound, response_url)
        if self._threads[inbound.conversation][0] != inbound.trace_id:
            log.info("reply_waits_behind_thread", waiting=len(self._threads[inbound.conversation]))
            return
        due.timer.back_off(partial(self._fire, due))

    def delivered(self, inbound: Inbound) -> None:
        """``inbound``'s reply reached Slack (or was given up): the next of its thread goes."""
        due = self._due.pop(inbound.trace_id, None)
        if due is None:
            return
        due.timer.cancel()
        queue = self._threads.get(inbound.conversation)
        if queue is None:
            return
        with_out = deque(t for t in queue if t != inbound.trace_id)
        if not with_out:
            del self._threads[inbound.conversation]
            return
        self._threads[inbound.conversation] = with_out
        head = self._due[with_out[0]]
        if not head.timer.waiting:
            head.timer.schedule(partial(self._fire, head), 0.0)

    def hurry(self) -> int:
        """Slack is back: try the first owed reply of every conversation now (the ones
        behind follow as each is delivered); how many were hurried."""
        hurried = 0
        for queue in self._threads.values():
            head = self._due[queue[0]]
            if head.timer.waiting:
                head.timer.schedule(partial(self._fire, head), 0.0)
                hurried += 1
        return hurried

    def cancel(self) -> None:
        """Stop every scheduled try (shutdown): the deliveries stay claimed for recovery."""
        for due in self._due.values():
            due.timer.cancel()
        self._due.clear()
        self._threads.clear()

    def _fire(self, due: _Due) -> None:
        if self._due.get(due.inbound.trace_id) is due:
            self._start(due.inbound, due.response_url)
