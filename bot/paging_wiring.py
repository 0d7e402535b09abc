"""The incident agent's paging wired to the actions capability: a page is requested as the
``pagerduty_*`` action of its event, through the same proposals (policy, validation,
approval card, durable job) as any action; and a trigger that ran tells the incident (its
card in the incident channel shows the PagerDuty incident), webhooks or not."""

from __future__ import annotations

import json
from collections.abc import Mapping

import structlog

from agents.actions.execution import ExecutionRequest, ExecutionResult, Executor
from agents.actions.operations import Operations
from agents.incidents.pagerduty_news import PagerDutyNews, PagerDutyUpdates
from agents.incidents.paging import IncidentPaging, PageEvent
from agents.incidents.ports import IncidentStore
from agents.kernel.clock import Clock
from agents.kernel.models import Inbound, Reply
from bot.config_file.loaded import PAGE_ACTIONS, LoadedConfig

__all__ = ["ProposedPages", "TriggerLinks", "build_paging", "link_triggers"]

log = structlog.get_logger(__name__)


class ProposedPages:
    """:class:`~agents.incidents.paging.PageRequests` over the configured paging actions."""

    def __init__(self, operations: Operations, *, pageable: tuple[str, ...]) -> None:
        self._operations = operations
        self._pageable = pageable

    def pageable(self) -> tuple[str, ...]:
        """The services with a routing key."""
        return self._pageable

    async def request(
        self, inbound: Inbound, *, event: PageEvent, values: Mapping[str, str]
    ) -> Reply:
        """Propose the event's action with ``values`` (a card, a question or a refusal)."""
        action = self._operations.catalog.action(PAGE_ACTIONS[event])
        if action is None:  # pragma: no cover - built together with the actions
            return Reply(text="PagerDuty paging is not configured.")
        return await self._operations.proposals.propose(inbound, action=action, raw=values)


def build_paging(
    config: LoadedConfig, operations: Operations, *, store: IncidentStore, clock: Clock
) -> IncidentPaging | None:
    """The incident agent's paging, when some PagerDuty service can be paged."""
    settings = config.pagerduty
    if settings is None or not settings.pageable:
        return None
    requests = ProposedPages(operations, pageable=settings.pageable)
    return IncidentPaging(requests, store, clock)


class TriggerLinks:
    """The trigger's executor, and then the incident told what PagerDuty opened: the news
    goes through :class:`~agents.incidents.pagerduty_news.PagerDutyUpdates` like a webhook
    (once per approval: the event id is the run's idempotency key), so the incident
    channel's card links the PagerDuty incident. Telling it never fails the run."""

    def __init__(self, inner: Executor, updates: PagerDutyUpdates, *, clock: Clock) -> None:
        self._inner = inner
        self._updates = updates
        self._clock = clock

    async def run(self, request: ExecutionRequest) -> ExecutionResult:
        """Run the trigger; on success, tell the incident."""
        result = await self._inner.run(request)
        if result.outcome == "succeeded":
            try:
                await self._updates.receive(self._news(request, result))
            except Exception:  # the page went out; only the card's link is missing
                log.exception("pagerduty_trigger_not_linked", trace_id=request.trace_id)
        return result

    def _news(self, request: ExecutionRequest, result: ExecutionResult) -> PagerDutyNews:
        try:
            body = json.loads(result.body or "{}")
        except ValueError:
            body = {}
        number, url = body.get("incident_number"), body.get("incident_url")
        return PagerDutyNews(
            event_id=f"trigger-{request.idempotency_key}",
            event_type="incident.triggered",
            occurred_at=self._clock.now(),
            incident_key=str(request.params["dedup_key"]),
            number=number if isinstance(number, int) else None,
            html_url=url if isinstance(url, str) and url.startswith("https://") else None,
        )


def link_triggers(
    executors: Mapping[str, Executor], updates: PagerDutyUpdates, *, clock: Clock
) -> dict[str, Executor]:
    """``executors`` with the trigger's wrapped in :class:`TriggerLinks` (when there is one)."""
    wrapped = dict(executors)
    name = PAGE_ACTIONS["trigger"]
    if name in wrapped:
        wrapped[name] = TriggerLinks(wrapped[name], updates, clock=clock)
    return wrapped
