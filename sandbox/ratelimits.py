"""Slack's Web API rate limits: a window of calls per method and workspace (or per channel,
for the special limits), answered with HTTP 429 ``ratelimited`` and ``Retry-After``.

Slack evaluates limits "per API method per workspace per app" in one-minute windows, by tier:
Tier 1 1+, Tier 2 20+, Tier 3 50+, Tier 4 100+ calls a minute; methods of the special tier
have their own rule (``chat.postMessage``: about one message a second per channel). The
defaults below are each tier's documented floor for the methods of the AI-app surface; other
methods are unlimited unless a test sets a limit. Source:
https://docs.slack.dev/apis/web-api/rate-limits and each method's reference page.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

__all__ = ["DEFAULT_LIMITS", "Limit", "RateLimiter", "Scope"]

Scope = Literal["workspace", "channel"]
"""What one window counts: every call of the method in the workspace, or those per channel."""


@dataclass(frozen=True, slots=True)
class Limit:
    """At most ``calls`` calls in any ``per`` seconds, counted per ``scope``."""

    calls: int
    per: float = 60.0
    scope: Scope = "workspace"

    def __post_init__(self) -> None:
        if self.calls < 1:
            raise ValueError(f"calls must be at least 1, got {self.calls}")
        if self.per <= 0:
            raise ValueError(f"per must be positive, got {self.per}")


TIER_2 = Limit(20)
TIER_3 = Limit(50)
TIER_4 = Limit(100)
# assistant.threads.setStatus is "special" without a published number; the sandbox applies
# chat.postMessage's documented special rule, about one a second per conversation.
_SET_STATUS = Limit(60, scope="channel")

DEFAULT_LIMITS: Mapping[str, Limit] = {
    "chat.startStream": TIER_2,
    "chat.appendStream": TIER_4,
    "chat.stopStream": TIER_2,
    "assistant.threads.setStatus": _SET_STATUS,
    "assistant.threads.setSuggestedPrompts": TIER_4,
    "assistant.threads.setTitle": TIER_4,
    "agents.sessions.setStatus": TIER_3,
    "agents.sessions.rename": TIER_3,
}
"""The limits a sandbox starts with, by method (the tier each method's reference names)."""


def _channel_of(args: Mapping[str, Any]) -> str:
    value = args.get("channel") or args.get("channel_id") or ""
    return value if isinstance(value, str) else str(value)


class RateLimiter:
    """Admits calls within each method's limit and says how long a refused caller waits.

    Args:
        clock: Seconds (the sandbox's clock).
        limits: Limits replacing the defaults, by method (None lifts a method's limit).
    """

    def __init__(
        self, clock: Callable[[], float], limits: Mapping[str, Limit | None] | None = None
    ) -> None:
        self._clock = clock
        self._limits: dict[str, Limit] = dict(DEFAULT_LIMITS)
        self._seen: dict[tuple[str, str], deque[float]] = {}
        for method, limit in (limits or {}).items():
            self.set(method, limit)

    def set(self, method: str, limit: Limit | None) -> None:
        """Limit ``method`` (None: no limit); calls already counted stay counted."""
        if limit is None:
            self._limits.pop(method, None)
        else:
            self._limits[method] = limit

    def limit(self, method: str) -> Limit | None:
        """The limit in force for ``method``, if any."""
        return self._limits.get(method)

    def reset(self) -> None:
        """Forget every call counted so far (windows start empty)."""
        self._seen.clear()

    def admit(self, method: str, args: Mapping[str, Any]) -> int | None:
        """Count a call of ``method``; None if admitted, else the ``Retry-After`` seconds.

        A refused call is not counted, as a refused call does not reach the method.
        """
        limit = self._limits.get(method)
        if limit is None:
            return None
        key = (method, _channel_of(args) if limit.scope == "channel" else "")
        now = self._clock()
        window = self._seen.setdefault(key, deque())
        while window and window[0] <= now - limit.per:
            window.popleft()
        if len(window) >= limit.calls:
            return max(1, math.ceil(window[0] + limit.per - now))
        window.append(now)
        return None
