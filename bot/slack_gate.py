"""One gate before every Web API call of a workspace: Slack's rate limits and outages, shared.

Slack limits each method per workspace: a 429's ``Retry-After`` holds for every call of that
method, not only for the one that got it, and a call made inside the window prolongs the
limit. So the window is recorded here when any call meets it, and every later call of that
method waits until it ends (a call that must not wait, such as a status line, is refused at
once instead).

An outage (a 5xx, a dropped or refused connection, a timeout) is shared the same way: while
Slack is unreachable, one call at a time goes through as a probe, at growing intervals (up to
:data:`PROBE_EVERY_MAX` seconds), and the others wait; the first call that gets through opens
the gate for all of them, so a backlog drains as soon as Slack is back instead of each call
finding out on its own schedule. Nothing here gives up: the callers bound how long they wait
(a reply's bound is hours, see ``handlers/turns.py``).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from urllib.parse import urlparse

import structlog
from slack_sdk.errors import SlackApiError

__all__ = ["PROBE_EVERY_MAX", "GateClosed", "SlackGate", "method_of"]

log = structlog.get_logger(__name__)

PROBE_EVERY_MAX = 8.0
"""Seconds between two probes of an unreachable Slack, at most: once it is back, the calls
waiting go within this long."""
_FIRST_PROBE = 0.5


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


def method_of(url: str) -> str:
    """The Web API method a request URL calls (``…/api/chat.postMessage``)."""
    return urlparse(url).path.rstrip("/").rsplit("/", 1)[-1]


class SlackGate:
    """Rate-limit windows by method and the reachability of one workspace's Slack.

    Args:
        monotonic: seconds, for the windows and the probes (tests pass a fake).
    """

    def __init__(self, *, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._monotonic = monotonic
        self._windows: dict[str, float] = {}  # method -> when its Retry-After window ends
        self._down_since: float | None = None
        self._next_probe = 0.0
        self._probe_every = _FIRST_PROBE
        self._probing = False
        self._up = asyncio.Event()
        self._up.set()

    @property
    def reachable(self) -> bool:
        """Whether the last call that reached a verdict got through to Slack."""
        return self._down_since is None

    def window(self, method: str) -> float:
        """Seconds until ``method`` may be called again (0: now)."""
        return max(0.0, self._windows.get(method, 0.0) - self._monotonic())

    def rate_limited(self, method: str, retry_after: float) -> None:
        """Slack answered 429 to ``method``: no call of it for ``retry_after`` seconds."""
        end = self._monotonic() + max(retry_after, 0.0)
        if end > self._windows.get(method, 0.0):
            self._windows[method] = end
            log.info("slack_rate_limited", method=method, retry_after=retry_after)

    async def admit(self, method: str, *, wait: bool = True) -> bool:
        """Wait until a call of ``method`` may go; True if it goes as the probe of an
        unreachable Slack (its outcome must then be reported with :meth:`passed` or
        :meth:`failed`, as every call's may be).

        Raises:
            GateClosed: ``wait`` is False and the call would have to wait.
        """
        while True:
            pause = self.window(method)
            if pause > 0:
                if not wait:
                    raise GateClosed(method, "ratelimited")
                await asyncio.sleep(pause)
                continue
            if self._down_since is None:
                return False
            if not wait:
                raise GateClosed(method, "slack_unreachable")
            now = self._monotonic()
            if not self._probing and now >= self._next_probe:
                self._probing = True
                return True
            # Woken by the gate opening, or when the next probe is due.
            due = self._next_probe - now if not self._probing else self._probe_every
            try:
                await asyncio.wait_for(self._up.wait(), timeout=max(due, 0.01))
            except TimeoutError:
                continue

    def passed(self, *, probe: bool = False) -> None:
        """A call reached Slack (whatever Slack answered): the gate opens for everyone."""
        if probe:
            self._probing = False
        if self._down_since is not None:
            log.info("slack_reachable", after_s=round(self._monotonic() - self._down_since, 1))
            self._down_since = None
            self._probe_every = _FIRST_PROBE
            self._up.set()

    def failed(self, *, probe: bool = False) -> None:
        """A call could not reach Slack (a 5xx, a dropped connection, a timeout): later calls
        wait for a probe to get through."""
        now = self._monotonic()
        if probe:
            self._probing = False
            self._probe_every = min(self._probe_every * 2, PROBE_EVERY_MAX)
        if self._down_since is None:
            self._down_since = now
            self._up.clear()
            log.warning("slack_unreachable")
        jitter = 1 + random.random() * 0.2  # noqa: S311 (replicas do not probe in step)
        self._next_probe = max(self._next_probe, now + self._probe_every * jitter)

    def released(self, *, probe: bool) -> None:
        """A call ended without a verdict (it was cancelled): another may probe."""
        if probe:
            self._probing = False
