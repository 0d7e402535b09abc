"""The incident agent's paging wired to the actions capability: a page is requested as the
``pagerduty_*`` action of its event, through the same proposals (policy, validation,
approval card, durable job) as any action."""

from __future__ import annotations

from collections.abc import Mapping

from agents.actions.operations import Operations
from agents.incidents.paging import IncidentPaging, PageEvent
from agents.incidents.ports import IncidentStore
from agents.kernel.clock import Clock
from agents.kernel.models import Inbound, Reply
from bot.config_file import LoadedConfig
from bot.config_file.sections.pagerduty import PAGE_ACTIONS

__all__ = ["ProposedPages", "build_paging"]


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
