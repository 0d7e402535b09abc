"""The PagerDuty seam: REST API v2 reads and Events API v2 events over aiohttp.

Errors are translated here, so callers catch ours only::

    PagerDutyError            any failure; ``reason`` is secret-free and fit to show
    ├── PagerDutyAuthError    401/403: the token is missing, wrong or lacks access
    ├── PagerDutyRejected     400/404: the request or event is invalid (never retried)
    └── PagerDutyTransient    429 (with ``retry_after``), 5xx, a timeout, a lost connection

Reads are retried on transient errors under :func:`~bot.integrations.resilience.api_read_policy`
(``Retry-After`` honoured within the budget). An event is retried only when it carries a
``dedup_key``: PagerDuty deduplicates on it, so a second delivery changes nothing. The API
token and routing keys are sent, never logged, and never part of a ``reason``.

The official ``pagerduty`` package is synchronous; Switchboard is async throughout, and
aiohttp is already its HTTP client, so this seam speaks REST itself.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import aiohttp
import structlog

from bot.integrations.resilience import Sleep, api_read_policy

__all__ = [
    "EnqueueResult",
    "PagerDutyAuthError",
    "PagerDutyClient",
    "PagerDutyError",
    "PagerDutyRejected",
    "PagerDutyTransient",
    "PdIncidentRef",
]

log = structlog.get_logger(__name__)

_ACCEPT = "application/vnd.pagerduty+json;version=2"
_PAGE_LIMIT = 100
_MAX_PAGES = 10


class PagerDutyError(Exception):
    """A PagerDuty call failed; ``reason`` says why without any secret."""

    def __init__(self, reason: str, *, status: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


class PagerDutyAuthError(PagerDutyError):
    """PagerDuty refused the token (401) or its access (403)."""


class PagerDutyRejected(PagerDutyError):
    """PagerDuty refused the request itself (400 invalid, 404 unknown)."""


class PagerDutyTransient(PagerDutyError):
    """Worth another try later: rate limited (``retry_after`` seconds), 5xx, timeout."""

    def __init__(
        self,
        reason: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
        sent: bool = True,
    ) -> None:
        super().__init__(reason, status=status)
        self.retry_after = retry_after
        self.sent = sent
        """The request may have reached PagerDuty (False: the connection was never made)."""


def _transient(exc: BaseException) -> bool:
    return isinstance(exc, PagerDutyTransient)


@dataclass(frozen=True, slots=True)
class EnqueueResult:
    """PagerDuty's answer to an event (202): its status, message and dedup key."""

    status: str
    message: str
    dedup_key: str


@dataclass(frozen=True, slots=True)
class PdIncidentRef:
    """A PagerDuty incident, as much as a link needs."""

    id: str
    number: int
    status: str
    html_url: str


class PagerDutyClient:
    """REST reads and Events API enqueues (see the module docstring)."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        api_url: str,
        events_url: str,
        token: str | None,
        timeout: float,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._session = session
        self._api = api_url.rstrip("/")
        self._events = events_url.rstrip("/")
        self._token = token
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._sleep = sleep

    async def service_policy(self, service_id: str) -> tuple[str, str]:
        """The ``(id, name)`` of the escalation policy of service ``service_id``."""
        body = await self._get(f"/services/{service_id}", {})
        policy = _mapping(_mapping(body.get("service")).get("escalation_policy"))
        if not policy.get("id"):
            raise PagerDutyRejected(f"service {service_id} has no escalation policy")
        return str(policy["id"]), str(policy.get("summary") or policy["id"])

    async def oncalls(
        self, *, policy_id: str, since: datetime, until: datetime
    ) -> list[dict[str, Any]]:
        """Every on-call entry of the policy overlapping ``[since, until]``, the earliest
        per level and user (``earliest=true``), across pages; each ``user`` a full user
        object with its email (``include[]=users``)."""
        params: list[tuple[str, str]] = [
            ("escalation_policy_ids[]", policy_id),
            ("since", _iso(since)),
            ("until", _iso(until)),
            ("earliest", "true"),
            ("include[]", "users"),
        ]
        return await self._all("/oncalls", "oncalls", params)

    async def incident_for(self, dedup_key: str) -> PdIncidentRef | None:
        """The incident opened under ``dedup_key`` (its ``incident_key``), if any yet."""
        found = await self._all("/incidents", "incidents", [("incident_key", dedup_key)])
        if not found:
            return None
        first = found[0]
        return PdIncidentRef(
            id=str(first.get("id")),
            number=int(first.get("incident_number") or 0),
            status=str(first.get("status") or ""),
            html_url=str(first.get("html_url") or ""),
        )

    @property
    def can_read(self) -> bool:
        """Whether a REST token is configured (events need none)."""
        return bool(self._token)

    async def enqueue(self, event: Mapping[str, Any]) -> EnqueueResult:
        """Send one Events API v2 event; retried only when it carries a ``dedup_key``.

        Raises:
            PagerDutyError: after the policy gave up (or at once for a non-transient one).
        """
        if event.get("dedup_key"):
            policy = api_read_policy(
                api="pagerduty-events", transient=_transient, sleep=self._sleep
            )
            async for attempt in policy:
                with attempt:
                    return await self._enqueue_once(event)
        return await self._enqueue_once(event)

    async def _enqueue_once(self, event: Mapping[str, Any]) -> EnqueueResult:
        body = await self._call("POST", f"{self._events}/v2/enqueue", json=dict(event))
        return EnqueueResult(
            status=str(body.get("status") or ""),
            message=str(body.get("message") or ""),
            dedup_key=str(body.get("dedup_key") or event.get("dedup_key") or ""),
        )

    async def _all(
        self, path: str, key: str, params: Sequence[tuple[str, str]]
    ) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        offset = 0
        for _ in range(_MAX_PAGES):
            page = [*params, ("limit", str(_PAGE_LIMIT)), ("offset", str(offset))]
            body = await self._get(path, page)
            chunk = body.get(key)
            items += [i for i in chunk if isinstance(i, dict)] if isinstance(chunk, list) else []
            if not body.get("more"):
                break
            offset += _PAGE_LIMIT
        return items

    async def _get(
        self, path: str, params: Sequence[tuple[str, str]] | Mapping[str, str]
    ) -> dict[str, Any]:
        if not self._token:
            raise PagerDutyAuthError("PAGERDUTY_API_TOKEN is not set")
        headers = {"Authorization": f"Token token={self._token}", "Accept": _ACCEPT}
        policy = api_read_policy(api="pagerduty", transient=_transient, sleep=self._sleep)
        async for attempt in policy:
            with attempt:
                return await self._call("GET", self._api + path, params=params, headers=headers)
        raise AssertionError("unreachable: the policy reraises")  # pragma: no cover

    async def _call(self, method: str, url: str, **kwargs: Any) -> dict[str, Any]:
        what = "PagerDuty events" if url.startswith(self._events + "/v2/") else "PagerDuty"
        try:
            async with self._session.request(
                method, url, timeout=self._timeout, allow_redirects=False, **kwargs
            ) as response:
                status = response.status
                retry_after = _seconds(response.headers.get("Retry-After"))
                try:
                    body = await response.json(content_type=None)
                except ValueError:
                    body = None
        except (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError) as exc:
            log.warning("pagerduty_unreachable", error=type(exc).__name__)
            raise PagerDutyTransient(f"could not connect to {what}", sent=False) from exc
        except (TimeoutError, aiohttp.ClientError) as exc:
            log.warning("pagerduty_no_answer", error=type(exc).__name__)
            seconds = self._timeout.total or 0
            raise PagerDutyTransient(f"{what} did not answer within {seconds:g}s") from exc
        log.info("pagerduty_called", method=method, path=_path(url), status=status)
        return _judge(what, status, retry_after, body)


def _judge(what: str, status: int, retry_after: float | None, body: object) -> dict[str, Any]:
    """The body of a success, or the error a status means."""
    if 200 <= status < 300:
        return body if isinstance(body, dict) else {}
    if status in (401, 403):
        raise PagerDutyAuthError(f"{what} refused the API token (HTTP {status})", status=status)
    if status == 429:
        wait = f"; it asks to wait {retry_after:g}s" if retry_after is not None else ""
        raise PagerDutyTransient(
            f"{what} is rate limiting us (HTTP 429){wait}", status=status, retry_after=retry_after
        )
    if status >= 500 or status == 408:
        raise PagerDutyTransient(f"{what} failed (HTTP {status})", status=status)
    detail = _error_detail(body)
    raise PagerDutyRejected(f"{what} refused the request (HTTP {status}){detail}", status=status)


def _error_detail(body: object) -> str:
    """The first error PagerDuty gave (REST ``error.message`` or events ``errors[0]``)."""
    data = _mapping(body)
    errors = data.get("errors")
    if isinstance(errors, list) and errors:
        return f": {str(errors[0])[:200]}"
    message = _mapping(data.get("error")).get("message")
    return f": {str(message)[:200]}" if message else ""


def _mapping(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _seconds(header: str | None) -> float | None:
    try:
        return max(0.0, float(header)) if header else None
    except ValueError:
        return None


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _path(url: str) -> str:
    """The path of a URL, for logs (never a query string: it may carry an identifier)."""
    return "/" + url.split("://", 1)[-1].split("/", 1)[-1].split("?", 1)[0]
