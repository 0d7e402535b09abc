"""PagerDuty: the REST and Events API seam (:mod:`.client`) and on-call from it
(:mod:`.directory`). The paging executor is
:class:`bot.integrations.executors.pagerduty.PagerDutyExecutor`.
"""

from __future__ import annotations

from bot.integrations.pagerduty.client import (
    EnqueueResult,
    PagerDutyAuthError,
    PagerDutyClient,
    PagerDutyError,
    PagerDutyRejected,
    PagerDutyTransient,
    PdIncidentRef,
)
from bot.integrations.pagerduty.directory import PagerDutyDirectory

__all__ = [
    "EnqueueResult",
    "PagerDutyAuthError",
    "PagerDutyClient",
    "PagerDutyDirectory",
    "PagerDutyError",
    "PagerDutyRejected",
    "PagerDutyTransient",
    "PdIncidentRef",
]
