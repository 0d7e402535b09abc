"""Alerts into the configured channel: rules and gate from :mod:`agents.feedback.alerts`, sent
in the background so that no turn, job or click waits for Slack."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import structlog

from agents.actions.approval import Approval
from agents.actions.ports import ApprovalNews
from agents.feedback.alerts import Alert, AlertGate, AlertRules, AlertSettings
from agents.kernel.clock import Clock
from agents.kernel.models import Trace

__all__ = ["Alerter"]

log = structlog.get_logger(__name__)

Post = Callable[[str, str], Awaitable[object]]
"""Posts ``text`` to ``channel`` (the Slack client's chat.postMessage)."""


class Alerter:
    """Feeds events through the rules and the gate and posts what passes."""

    def __init__(self, settings: AlertSettings, *, post: Post, clock: Clock) -> None:
        self._settings = settings
        self._rules = AlertRules(settings)
        self._gate = AlertGate(settings)
        self._post = post
        self._clock = clock
        self._sending: set[asyncio.Task[None]] = set()

    @property
    def enabled(self) -> bool:
        """Whether an alerts channel is configured."""
        return self._settings.channel is not None

    def turn(self, trace: Trace) -> None:
        """A turn finished."""
        self._raise(self._rules.turn(trace, now=self._clock.now()))

    def execution(self, action: str, outcome: str) -> None:
        """An action ran (``circuit_open`` when its breaker refused it)."""
        self._raise(self._rules.execution(action, outcome))

    def breaker(self, target: str, *, before: str, after: str) -> None:
        """A target's circuit breaker may have changed state."""
        self._raise(self._rules.breaker(target, before=before, after=after))

    def approval(self, approval: Approval, news: ApprovalNews | None = None) -> None:
        """An approval reached a new state (``news``: what the thread is told of it)."""
        if approval.state == "expired":
            self._raise(self._rules.approval_expired(approval.action, approval.requester))
        if news is not None and news.kind == "action_changed":
            self._raise(
                self._rules.action_changed(
                    approval.action, requester=approval.requester, summary=approval.result or ""
                )
            )

    def _raise(self, alerts: list[Alert]) -> None:
        channel = self._settings.channel
        if channel is None:
            return
        for alert in alerts:
            admitted = self._gate.admit(alert, now=self._clock.now())
            if admitted is None:
                log.info("alert_held", kind=alert.kind, subject=alert.subject)
                continue
            log.warning("alert_raised", kind=alert.kind, subject=alert.subject)
            task = asyncio.get_running_loop().create_task(self._send(channel, admitted))
            self._sending.add(task)
            task.add_done_callback(self._sending.discard)

    async def _send(self, channel: str, alert: Alert) -> None:
        try:
            await self._post(channel, f":rotating_light: {alert.text}")
        except Exception as exc:  # an alert that cannot be sent must not break its cause
            log.error("alert_not_sent", kind=alert.kind, error_type=type(exc).__name__)

    async def drain(self) -> None:
        """Wait for alerts being sent (at shutdown)."""
        if self._sending:
            await asyncio.gather(*self._sending, return_exceptions=True)
