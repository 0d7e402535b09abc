"""The pagerduty executor: send one Events API v2 event (trigger, acknowledge or resolve).

Every event carries the approved ``dedup_key``, so PagerDuty deduplicates a second delivery:
the run is idempotent, retried on transient failures by the client's policy, and rerun
after a crash without paging twice. The routing key is read from the environment at run
time (a rotated key is picked up) and never logged or summarised. After a trigger the
incident PagerDuty opened is looked up once by its dedup key (when a REST token is set), so
the thread can link to it; PagerDuty opens incidents asynchronously, so it may not exist yet.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import KW_ONLY, dataclass

import structlog

from agents.actions.execution import ExecutionRequest, ExecutionResult
from bot.config_file import PagerDutyExecutorConfig
from bot.integrations.pagerduty.client import (
    PagerDutyClient,
    PagerDutyError,
    PagerDutyTransient,
    PdIncidentRef,
)

__all__ = ["PagerDutyExecutor"]

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class PagerDutyExecutor:
    """Runs one paging action (see the module docstring)."""

    config: PagerDutyExecutorConfig
    _: KW_ONLY
    action: str
    client: PagerDutyClient
    environ: Mapping[str, str]

    async def run(self, request: ExecutionRequest) -> ExecutionResult:
        """Send the event; never raises for a PagerDuty failure."""
        params = request.params
        service, dedup = str(params["service"]), str(params["dedup_key"])
        variable = self.config.routing_keys.get(service)
        routing_key = self.environ.get(variable, "") if variable else ""
        if not routing_key:
            log.error("pagerduty_routing_key_missing", action=self.action, variable=variable)
            return ExecutionResult("failed", f"missing environment variable {variable}")
        event_action = self.config.event_action
        event: dict[str, object] = {
            "routing_key": routing_key,
            "event_action": event_action,
            "dedup_key": dedup,
        }
        if event_action == "trigger":
            event["payload"] = {
                "summary": str(params["summary"]),
                "source": "switchboard",
                "severity": str(params.get("severity", "critical")),
            }
        try:
            answer = await self.client.enqueue(event)
        except PagerDutyError as exc:
            log.warning("pagerduty_event_failed", action=self.action, status=exc.status)
            return _failure(exc)
        incident = await self._incident(answer.dedup_key) if event_action == "trigger" else None
        link = f"; incident #{incident.number} {incident.html_url}" if incident else ""
        summary = f"PagerDuty accepted {event_action} for {service} (dedup key {dedup}){link}"
        body: dict[str, object] = {
            "event_action": event_action,
            "dedup_key": answer.dedup_key,
            "incident": f"#{incident.number} {incident.html_url}" if incident else "not open yet",
        }
        if incident is not None:  # for the incident card (bot.paging_wiring.TriggerLinks)
            body.update(incident_number=incident.number, incident_url=incident.html_url)
        return ExecutionResult("succeeded", summary, body=json.dumps(body))

    async def _incident(self, dedup_key: str) -> PdIncidentRef | None:
        if not self.client.can_read:
            return None
        try:
            return await self.client.incident_for(dedup_key)
        except PagerDutyError as exc:  # the page went out; only the link is missing
            log.info("pagerduty_incident_lookup_failed", status=exc.status)
            return None


def _failure(exc: PagerDutyError) -> ExecutionResult:
    """A refused event did not happen; one cut off after sending may have (``unknown``)."""
    if isinstance(exc, PagerDutyTransient) and exc.sent and exc.status is None:
        return ExecutionResult("unknown", f"{exc.reason}; the event may have been delivered")
    return ExecutionResult("failed", exc.reason)
