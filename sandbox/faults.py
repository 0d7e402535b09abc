"""Fault injection: make a Web API method fail the ways Slack (or the network) does.

A :class:`Fault` is a value; the :class:`FaultBook` holds the faults injected per method (and,
optionally, per workspace: only calls made with that workspace's token meet them) and hands
out one per call until each has been used ``times`` times. Hung requests wait on a
:class:`HangGate` until it is released (``release()``, or ``close()`` with the sandbox), and
are then dropped without an answer: a hung request never gets one.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from sandbox.records import JSON

__all__ = ["Fault", "FaultBook", "FaultKind", "HangGate"]

FaultKind = Literal["status", "hang", "delay", "drop", "apply_then_hang"]

_DEFAULT_ERRORS = {
    429: "ratelimited",
    500: "internal_error",
    503: "service_unavailable",
    504: "request_timeout",
}


@dataclass(frozen=True, slots=True)
class Fault:
    """One way for a call to go wrong.

    Attributes:
        kind: ``status``: answer ``status`` without applying the call (429 carries a
            ``Retry-After``; 200 with ``error`` is an ``ok: false`` answer). ``hang``: never
            answer, never apply. ``delay``: wait ``delay`` seconds, then handle normally.
            ``drop``: close the connection without an answer or applying. ``apply_then_hang``:
            apply the call (the message IS posted), then never answer.
        status: The HTTP status for ``status`` faults.
        retry_after: The ``Retry-After`` seconds of a 429 (default 1).
        delay: Seconds to wait for ``delay`` faults.
        times: How many calls the fault affects before the method is healthy again.
        error: The ``error`` of the answer body (default: Slack's for that status).
    """

    kind: FaultKind
    status: int = 500
    retry_after: int | None = None
    delay: float = 0.0
    times: int = 1
    error: str | None = None

    def __post_init__(self) -> None:
        if self.times < 1:
            raise ValueError(f"times must be at least 1, got {self.times}")
        if not 200 <= self.status <= 599:
            raise ValueError(f"status must be 200..599, got {self.status}")
        if self.delay < 0:
            raise ValueError(f"delay must not be negative, got {self.delay}")
        if self.kind == "status" and self.status == 200 and self.error is None:
            raise ValueError("a status-200 fault needs an error (an ok:false answer)")

    @classmethod
    def rate_limited(cls, retry_after: int = 1, *, times: int = 1) -> Fault:
        """HTTP 429 ``ratelimited`` with ``Retry-After: retry_after``."""
        return cls("status", status=429, retry_after=retry_after, times=times)

    @classmethod
    def server_error(cls, status: int = 500, *, times: int = 1) -> Fault:
        """An HTTP 5xx answer."""
        return cls("status", status=status, times=times)

    @classmethod
    def api_error(cls, error: str, *, times: int = 1) -> Fault:
        """HTTP 200 with ``{"ok": false, "error": error}``."""
        return cls("status", status=200, error=error, times=times)

    @classmethod
    def slow(cls, delay: float, *, times: int = 1) -> Fault:
        """Answer normally after ``delay`` seconds."""
        return cls("delay", delay=delay, times=times)

    @classmethod
    def hung(cls, *, times: int = 1) -> Fault:
        """Never answer and never apply."""
        return cls("hang", times=times)

    @classmethod
    def dropped(cls, *, times: int = 1) -> Fault:
        """Close the connection without an answer."""
        return cls("drop", times=times)

    @classmethod
    def lost_response(cls, *, times: int = 1) -> Fault:
        """Apply the call, then never answer (the caller cannot know it worked)."""
        return cls("apply_then_hang", times=times)

    def body(self) -> JSON:
        """The JSON body of a ``status`` fault's answer."""
        return {"ok": False, "error": self.error or _DEFAULT_ERRORS.get(self.status, "fatal_error")}

    def headers(self) -> dict[str, str]:
        """Extra headers of a ``status`` fault's answer (``Retry-After`` for a 429)."""
        if self.status == 429:
            return {"Retry-After": str(1 if self.retry_after is None else self.retry_after)}
        return {}


class _Armed:
    __slots__ = ("fault", "left")

    def __init__(self, fault: Fault) -> None:
        self.fault = fault
        self.left = fault.times


class FaultBook:
    """The faults injected per method, used up in order."""

    def __init__(self) -> None:
        self._armed: dict[tuple[str, str | None], deque[_Armed]] = {}
        self._outage: Fault | None = None
        self._outage_methods: frozenset[str] | None = None

    @property
    def in_outage(self) -> bool:
        """Whether an outage (:meth:`outage`) is on."""
        return self._outage is not None

    def outage(self, fault: Fault | None = None, *, methods: Iterable[str] | None = None) -> None:
        """From now until :meth:`end_outage`, every call of ``methods`` (default: every
        method) meets ``fault`` (default: HTTP 503), however many calls come; queued faults
        wait until it ends. ``Fault.dropped()`` makes Slack unreachable (no answer at all)."""
        self._outage = fault if fault is not None else Fault.server_error(503)
        self._outage_methods = frozenset(methods) if methods is not None else None

    def end_outage(self) -> None:
        """Slack is back: calls are answered again (queued faults apply as before)."""
        self._outage = None
        self._outage_methods = None

    def inject(self, method: str, fault: Fault, *, team_id: str | None = None) -> None:
        """Queue ``fault`` for the next calls of ``method`` (after faults queued before it);
        with ``team_id``, only for calls made with a token of that workspace (Slack limits
        each workspace apart)."""
        self._armed.setdefault((method, team_id), deque()).append(_Armed(fault))

    def take(self, method: str, *, team_id: str | None = None) -> Fault | None:
        """The fault for this call of ``method`` (made for workspace ``team_id``, if known),
        if any, counting it as used (an outage's fault is not used up). The workspace's own
        faults come before those of every workspace."""
        if self._outage is not None and (
            self._outage_methods is None or method in self._outage_methods
        ):
            return self._outage
        queue = self._armed.get((method, team_id)) if team_id is not None else None
        if not queue:
            queue = self._armed.get((method, None))
        if not queue:
            return None
        armed = queue[0]
        armed.left -= 1
        if armed.left == 0:
            queue.popleft()
        return armed.fault

    def clear(self, method: str | None = None) -> None:
        """Forget the faults of ``method``, or of every method."""
        if method is None:
            self._armed.clear()
        else:
            for lane in [lane for lane in self._armed if lane[0] == method]:
                del self._armed[lane]


class HangGate:
    """Where hung (and delayed) requests wait until released, or the sandbox closes."""

    def __init__(self) -> None:
        self._released = asyncio.Event()
        self._closed = asyncio.Event()
        self._held = 0

    @property
    def held(self) -> int:
        """How many requests are hanging now."""
        return self._held

    async def hold(self) -> None:
        """Wait until the next :meth:`release`."""
        if self._closed.is_set():
            return
        released = self._released
        self._held += 1
        try:
            await released.wait()
        finally:
            self._held -= 1

    async def sleep(self, delay: float) -> None:
        """Wait ``delay`` seconds, or less if the sandbox closes meanwhile."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(delay):
                await self._closed.wait()

    def release(self) -> int:
        """Release every request hanging now (later ones hang again); returns how many."""
        held = self._held
        self._released.set()
        self._released = asyncio.Event()
        return held

    def close(self) -> int:
        """Release every hanging request, and let no request hang or sleep from now on."""
        self._closed.set()
        return self.release()
