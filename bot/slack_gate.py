"""One gate before every Web API call: Slack's rate limits per workspace, and its outages.

Slack limits each method per app per workspace: a 429's ``Retry-After`` holds for every call
of that method in that workspace, not only for the one that got it, and a call made inside
the window prolongs the limit. So the window is recorded here, for the workspace and method,
when any call meets it; every later call of that method for that workspace waits until it
ends, and then one goes first: the rest follow once it was not limited again (a call that
must not wait, such as a status line, is refused at once instead). Other workspaces' calls,
and other methods, are not held: one workspace's 429 does not slow another's replies.

An outage (a 5xx, a dropped or refused connection, a timeout) is Slack's, not a workspace's,
and is shared by every call: while
Slack is unreachable, one call at a time goes through as a probe, at growing intervals (up to
:data:`PROBE_EVERY_MAX` seconds), and the others wait a moment, then are refused
(``slack_unreachable``) without a request; the first call that gets through opens the gate
and tells whoever asked (:meth:`SlackGate.when_reachable`: the runner, whose owed replies then
go at once), so a backlog drains as soon as Slack is back instead of each call finding out on
its own schedule. A reply's bound is hours, not calls (see ``handlers/turns.py``).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import structlog
from slack_sdk.errors import SlackApiError

__all__ = ["PROBE_EVERY_MAX", "GateClosed", "Lane", "Outcome", "SlackGate", "Ticket"]

log = structlog.get_logger(__name__)

PROBE_EVERY_MAX = 2.0
"""Seconds between two probes of an unreachable Slack, at most: once it is back, the calls
waiting go within this long."""
_FIRST_PROBE = 0.5

Lane = tuple[str | None, str]
"""A workspace (None: the one workspace of a single-workspace bot) and a Web API method:
what a rate-limit window holds."""


class GateClosed(SlackApiError):
    """A call that may not wait found its method rate-limited or Slack unreachable.

    It is raised as slack_sdk's ``SlackApiError`` with the error Slack would have given
    (``ratelimited``) or ``slack_unreachable``, so callers that handle Slack's refusals
    handle this one the same way; no request was sent.

    Attributes:
        method: the Web API method.
        reason: ``ratelimited`` or ``slack_unreachable``.
    """

    def __init__(self, method: str, reason: str) -> None:
        super().__init__(  # type: ignore[no-untyped-call]
            f"{method}: {reason} (not sent)", {"ok": False, "error": reason}
        )
        self.method = method
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Ticket:
    """A call let through the gate; its outcome goes back with :meth:`SlackGate.settle`.

    Attributes:
        method: the Web API method.
        workspace: the workspace the call acts for (None: the bot's only one).
        probe: the call tries whether an unreachable Slack is back.
        first_after_window: the call is the first of its lane after a 429's window.
    """

    method: str
    workspace: str | None = None
    probe: bool = False
    first_after_window: bool = False

    @property
    def lane(self) -> Lane:
        """The workspace and method the call's rate limit is counted in."""
        return (self.workspace, self.method)


Outcome = Literal["reached", "rate_limited", "unreachable", "cancelled"]


class SlackGate:
    """Rate-limit windows by workspace and method, and the reachability of Slack.

    After a window, one call of the lane goes first; the others follow once it was not
    limited again (calls released together would all land in the next window).

    Args:
        monotonic: seconds, for the windows and the probes (tests pass a fake).
    """

    def __init__(self, *, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._monotonic = monotonic
        self._windows: dict[Lane, float] = {}  # lane -> when its Retry-After window ends
        self._trying: set[Lane] = set()  # lanes whose first call after a window is out
        self._down_since: float | None = None
        self._next_probe = 0.0
        self._probe_every = _FIRST_PROBE
        self._probing = False
        self._up = asyncio.Event()
        self._up.set()
        self._on_reachable: list[Callable[[], None]] = []
        self._down = asyncio.Event()

    def when_reachable(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` each time Slack is reachable again after being unreachable."""
        self._on_reachable.append(callback)

    async def until_unreachable(self) -> None:
        """Return once Slack is counted unreachable (at once if it is now)."""
        await self._down.wait()

    @property
    def reachable(self) -> bool:
        """Whether the last call that reached a verdict got through to Slack."""
        return self._down_since is None

    def window(self, method: str, *, workspace: str | None = None) -> float:
        """Seconds until ``method`` may be called again for ``workspace`` (0: now)."""
        return max(0.0, self._windows.get((workspace, method), 0.0) - self._monotonic())

    def rate_limited(
        self, method: str, retry_after: float, *, workspace: str | None = None
    ) -> None:
        """Slack answered 429 to ``method`` for ``workspace``: no call of it there for
        ``retry_after`` seconds."""
        lane = (workspace, method)
        end = self._monotonic() + max(retry_after, 0.0)
        if end > self._windows.get(lane, 0.0):
            self._windows[lane] = end
            log.info(
                "slack_rate_limited", method=method, team_id=workspace, retry_after=retry_after
            )

    async def admit(
        self,
        method: str,
        *,
        workspace: str | None = None,
        wait: bool = True,
        outage_wait: float | None = None,
    ) -> Ticket:
        """Wait until a call of ``method`` for ``workspace`` may go; what came of it goes
        back through :meth:`settle`. A rate-limit window of that workspace and method is
        waited out; while Slack is unreachable a call waits for the gate to open (or to be
        the probe) at most ``outage_wait`` seconds (None: as long as it takes).

        Raises:
            GateClosed: ``wait`` is False and the call would have to wait, or Slack stayed
                unreachable for ``outage_wait`` seconds.
        """
        give_up = None if outage_wait is None else self._monotonic() + outage_wait
        lane = (workspace, method)
        while True:
            first = False
            if lane in self._windows:
                pause = self.window(method, workspace=workspace)
                if pause > 0 or lane in self._trying:
                    if not wait:
                        raise GateClosed(method, "ratelimited")
                    await asyncio.sleep(pause if pause > 0 else 0.05)
                    continue
                first = True
            if self._down_since is None:
                return self._let(Ticket(method, workspace, first_after_window=first))
            if not wait:
                raise GateClosed(method, "slack_unreachable")
            now = self._monotonic()
            if not self._probing and now >= self._next_probe:
                self._probing = True
                return self._let(Ticket(method, workspace, probe=True, first_after_window=first))
            if give_up is not None and now >= give_up:
                raise GateClosed(method, "slack_unreachable")
            # Woken by the gate opening, or when the next probe is due.
            due = self._next_probe - now if not self._probing else self._probe_every
            if give_up is not None:
                due = min(due, give_up - now)
            try:
                await asyncio.wait_for(self._up.wait(), timeout=max(due, 0.01))
            except TimeoutError:
                continue

    def _let(self, ticket: Ticket) -> Ticket:
        if ticket.first_after_window:
            self._trying.add(ticket.lane)
        return ticket

    def settle(self, ticket: Ticket, outcome: Outcome, *, retry_after: float = 1.0) -> None:
        """What came of a call let through: Slack ``reached`` (whatever it answered),
        ``rate_limited`` it (for ``retry_after`` seconds), was ``unreachable`` (a 5xx, a
        dropped connection, a timeout), or the call was ``cancelled`` without a verdict."""
        if ticket.first_after_window:
            self._trying.discard(ticket.lane)
        if outcome == "rate_limited":
            self.rate_limited(ticket.method, retry_after, workspace=ticket.workspace)
        elif outcome == "reached":
            self._windows.pop(ticket.lane, None)
        if ticket.probe:
            self._probing = False
        if outcome in ("reached", "rate_limited"):
            self._reached()
        elif outcome == "unreachable":
            self._unreachable(probe=ticket.probe)

    def _reached(self) -> None:
        if self._down_since is not None:
            log.info("slack_reachable", after_s=round(self._monotonic() - self._down_since, 1))
            self._down_since = None
            self._probe_every = _FIRST_PROBE
            self._up.set()
            self._down.clear()
            for callback in self._on_reachable:
                callback()

    def _unreachable(self, *, probe: bool) -> None:
        now = self._monotonic()
        if probe:
            self._probe_every = min(self._probe_every * 2, PROBE_EVERY_MAX)
        if self._down_since is None:
            self._down_since = now
            self._up.clear()
            self._down.set()
            log.warning("slack_unreachable")
        jitter = 1 + random.random() * 0.2  # noqa: S311 (replicas do not probe in step)
        self._next_probe = max(self._next_probe, now + self._probe_every * jitter)
