"""Alerts: what deserves a message in the alerts channel, and how often.

Pure rules over what the bot already sees (each turn's trace, each execution, each breaker
change, each approval change) and a gate that deduplicates and rate-limits: the same alert
(kind and subject) is sent once, then again only after ``repeat_after``, saying how many were
held back meanwhile; at most ``max_per_hour`` alerts go out in all.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal

from agents.kernel.models import Trace
from agents.turns.grounding import UNGROUNDED_CLAIM

__all__ = ["Alert", "AlertGate", "AlertKind", "AlertRules", "AlertSettings"]

AlertKind = Literal[
    "breaker_opened",
    "breaker_closed",
    "executor_failing",
    "error_rate",
    "approval_expired",
    "action_changed",
    "budget_exhausted",
    "fallback_rate",
]


@dataclass(frozen=True, slots=True)
class Alert:
    """One alert: ``subject`` (a target, an action, an agent, a scope) scopes deduplication."""

    kind: AlertKind
    subject: str
    text: str


@dataclass(frozen=True, slots=True)
class AlertSettings:
    """The ``alerts:`` section. Without a channel, nothing is sent."""

    channel: str | None = None
    repeat_after: timedelta = timedelta(minutes=15)
    max_per_hour: int = 20
    executor_failures: int = 3
    window: timedelta = timedelta(minutes=10)
    min_turns: int = 10
    error_rate: float = 0.25
    fallback_rate: float = 0.5


@dataclass(slots=True)
class _Slice:
    start: datetime
    outcomes: int = 0
    bad: int = 0


class _Window:
    """Outcomes (bad or not) within a sliding time window, counted per slice of it.

    A slice is 1/600 of the window (a second of the default ten minutes) and starts at its
    first outcome, so the memory is bounded by the window, not by the rate of turns (one entry
    per turn was about 100 bytes a turn for ten minutes: 25 MB at 400 turns a second). An
    outcome leaves the window up to one slice early.
    """

    _SLICES = 600

    def __init__(self, span: timedelta) -> None:
        self._span = span
        self._slice = span / self._SLICES
        self._slices: deque[_Slice] = deque()
        self._count = 0
        self._bad = 0

    def add(self, at: datetime, *, bad: bool) -> tuple[int, float]:
        """Add one outcome; returns (outcomes in the window, share that were bad)."""
        if not self._slices or at >= self._slices[-1].start + self._slice:
            self._slices.append(_Slice(at))
        current = self._slices[-1]
        current.outcomes += 1
        current.bad += bad
        self._count += 1
        self._bad += bad
        while self._slices[0] is not current and self._slices[0].start <= at - self._span:
            gone = self._slices.popleft()
            self._count -= gone.outcomes
            self._bad -= gone.bad
        return self._count, self._bad / self._count


class AlertRules:
    """Turns what happened into alerts (not yet gated)."""

    def __init__(self, settings: AlertSettings) -> None:
        self._settings = settings
        self._errors = _Window(settings.window)
        self._fallbacks = _Window(settings.window)
        self._failures: dict[str, int] = {}

    def turn(self, trace: Trace, *, now: datetime) -> list[Alert]:
        """Error rate, LLM fallback rate and exhausted budgets, from one finished turn."""
        s = self._settings
        alerts: list[Alert] = []
        count, rate = self._errors.add(now, bad=trace.outcome == "agent_error")
        if count >= s.min_turns and rate >= s.error_rate:
            alerts.append(
                Alert(
                    "error_rate",
                    "turns",
                    f"{rate:.0%} of the last {count} turns failed (threshold {s.error_rate:.0%}, "
                    f"window {_minutes(s.window)}). See `switchboard review list` and the logs.",
                )
            )
        # A marked claim is the model's answer under a warning, not a fallback.
        degraded = trace.degraded not in (None, UNGROUNDED_CLAIM)
        if trace.planner == "llm" or degraded:  # a turn a model was meant to plan
            count, rate = self._fallbacks.add(now, bad=degraded)
            if count >= s.min_turns and rate >= s.fallback_rate:
                alerts.append(
                    Alert(
                        "fallback_rate",
                        "llm",
                        f"{rate:.0%} of the last {count} model-planned turns fell back to rules "
                        f"(threshold {s.fallback_rate:.0%}): check the providers.",
                    )
                )
        if trace.degraded is not None and trace.degraded.startswith("budget_"):
            scope = trace.degraded.removeprefix("budget_")
            alerts.append(
                Alert(
                    "budget_exhausted",
                    f"{scope}:{trace.agent}",
                    f"A daily LLM budget ({scope}) is spent: `{trace.agent}` answers with the "
                    "rules planner until it resets.",
                )
            )
        return alerts

    def execution(self, action: str, outcome: str) -> list[Alert]:
        """An action failing ``executor_failures`` times in a row."""
        if outcome == "succeeded":
            self._failures.pop(action, None)
            return []
        failures = self._failures.get(action, 0) + 1
        self._failures[action] = failures
        if failures < self._settings.executor_failures:
            return []
        return [
            Alert(
                "executor_failing",
                action,
                f"`{action}` failed {failures} times in a row (last outcome: {outcome}).",
            )
        ]

    @staticmethod
    def breaker(target: str, *, before: str, after: str) -> list[Alert]:
        """A circuit breaker opened or closed."""
        if before != "open" and after == "open":
            text = f"Circuit to {target} opened: calls to it are refused until it recovers."
            return [Alert("breaker_opened", target, text)]
        if before != "closed" and after == "closed":
            return [
                Alert("breaker_closed", target, f"Circuit to {target} closed: it answers again.")
            ]
        return []

    @staticmethod
    def approval_expired(action: str, requester: str) -> list[Alert]:
        """An approval request expired unanswered."""
        return [
            Alert(
                "approval_expired",
                action,
                f"A request by <@{requester}> to run `{action}` expired with nobody deciding.",
            )
        ]

    @staticmethod
    def action_changed(action: str, *, requester: str, summary: str) -> list[Alert]:
        """An approved action was not run: it changed (its digest) after it was approved."""
        return [
            Alert(
                "action_changed",
                action,
                f"An approved request by <@{requester}> to run `{action}` was refused: "
                f"{summary} Check who changed the config of `{action}`.",
            )
        ]


class AlertGate:
    """Deduplicates (per kind and subject) and rate-limits alerts."""

    def __init__(self, settings: AlertSettings) -> None:
        self._settings = settings
        self._last: dict[tuple[str, str], datetime] = {}
        self._held: dict[tuple[str, str], int] = {}
        self._sent: deque[datetime] = deque()

    def admit(self, alert: Alert, *, now: datetime) -> Alert | None:
        """The alert to send now (noting how many like it were held back), or None."""
        key = (alert.kind, alert.subject)
        last = self._last.get(key)
        while self._sent and self._sent[0] <= now - timedelta(hours=1):
            self._sent.popleft()
        if (last is not None and now - last < self._settings.repeat_after) or len(
            self._sent
        ) >= self._settings.max_per_hour:
            self._held[key] = self._held.get(key, 0) + 1
            return None
        self._last[key] = now
        self._sent.append(now)
        held = self._held.pop(key, 0)
        if held:
            alert = replace(alert, text=f"{alert.text} ({held} more like it since the last alert)")
        return alert


def _minutes(span: timedelta) -> str:
    return f"{span.total_seconds() / 60:g} min"
