"""A PagerDuty stand-in: the REST API v2 and Events API v2 subset Switchboard uses.

Written from PagerDuty's public API reference, served by aiohttp on loopback (an ephemeral
port), with deterministic seeded data: two services (``checkout``, ``payments``) on one
escalation policy whose level 1 is a weekly schedule of two users and level 2 a user who is
always on call.

REST (``Authorization: Token token=<token>`` or 401; ``limit``/``offset``/``more`` paging):

- ``GET /oncalls`` with ``escalation_policy_ids[]``, ``schedule_ids[]``, ``since``,
  ``until``, ``earliest`` and ``include[]=users`` (full users, with their email): the
  on-call windows overlapping ``[since, until]``;
- ``GET /services``, ``GET /services/{id}``, ``GET /escalation_policies``,
  ``GET /schedules/{id}``, ``GET /incidents`` (``incident_key`` filters by dedup key).

Events (``POST /v2/enqueue``): ``routing_key`` (one of :attr:`routing_keys`), ``event_action``
trigger/acknowledge/resolve, ``dedup_key``, ``payload`` (summary, source, severity for a
trigger) → 202 ``{"status": "success", "message": "Event processed", "dedup_key"}``; an
invalid event → 400 ``{"status": "invalid event", "errors": [...]}``. A trigger whose dedup
key has an open incident adds nothing; acknowledge and resolve change its status.

Webhooks (V3, :mod:`sandbox.pagerduty_webhooks`): once ``webhooks.subscribe(url, secrets)``
was called, a trigger that opens an incident, an acknowledge and a resolve each send a
signed ``incident.*`` event (the agent: the Events API integration), and :meth:`act` is a
person acknowledging, resolving or reassigning in PagerDuty's web app.

Faults: ``fail_next(status, times, retry_after)``, ``delay_next(seconds, times)``, and
``hold_next()`` (the next event waits, after it arrived, until ``release()``: a caller killed
meanwhile cannot know it was applied).
:attr:`events` lists every event accepted, :attr:`requests` every request (path and status).
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from sandbox.pagerduty_data import (
    INTEGRATION,
    ROUTING_KEYS,
    SCHEDULE_ID,
    SCHEDULE_NAME,
    SCHEDULE_USERS,
    SERVICES,
    USERS,
    PdEvent,
    PdIncident,
    earliest,
    incident,
    instant,
    invalid,
    oncall_entries,
    policy,
    ref,
    service,
    user,
    webhook_incident,
)
from sandbox.pagerduty_webhooks import WebhookSender

__all__ = ["PagerDutyStandIn", "PdEvent", "PdIncident"]

JSON = dict[str, Any]


@dataclass
class _Fault:
    status: int = 0
    retry_after: int | None = None
    delay: float = 0.0
    times: int = 0


@dataclass
class PagerDutyStandIn:
    """The stand-in's state and server (see the module docstring)."""

    token: str = field(default_factory=lambda: "pd-" + uuid.uuid4().hex)
    routing_keys: dict[str, str] = field(default_factory=lambda: dict(ROUTING_KEYS))
    events: list[PdEvent] = field(default_factory=list)
    incidents: list[PdIncident] = field(default_factory=list)
    requests: list[tuple[str, int]] = field(default_factory=list)
    webhooks: WebhookSender = field(default_factory=WebhookSender)
    """V3 webhooks on each change (once :meth:`WebhookSender.subscribe` was called)."""
    _faults: list[_Fault] = field(default_factory=list)
    _runner: web.AppRunner | None = None
    port: int = 0
    arrived: int = 0
    """Events that reached :meth:`_enqueue` (held or not)."""
    _held: bool = False
    _gate: asyncio.Event = field(default_factory=asyncio.Event)
    _arrivals: asyncio.Condition = field(default_factory=asyncio.Condition)

    @property
    def base_url(self) -> str:
        """Where both APIs are served (REST at the root, events at ``/v2/enqueue``)."""
        return f"http://127.0.0.1:{self.port}"

    async def __aenter__(self) -> PagerDutyStandIn:
        app = web.Application()
        app.router.add_get("/oncalls", self._oncalls)
        app.router.add_get("/services", self._services)
        app.router.add_get("/services/{id}", self._service)
        app.router.add_get("/escalation_policies", self._policies)
        app.router.add_get("/schedules/{id}", self._schedule)
        app.router.add_get("/incidents", self._incidents)
        app.router.add_post("/v2/enqueue", self._enqueue)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.webhooks.close()
        if self._runner is not None:
            await self._runner.cleanup()

    def fail_next(self, status: int, *, times: int = 1, retry_after: int | None = None) -> None:
        """Answer the next ``times`` requests with ``status`` (nothing applied)."""
        self._faults.append(_Fault(status=status, retry_after=retry_after, times=times))

    def delay_next(self, seconds: float, *, times: int = 1) -> None:
        """Wait ``seconds`` before answering each of the next ``times`` requests."""
        self._faults.append(_Fault(delay=seconds, times=times))

    def hold_next(self) -> None:
        """Hold the next event (after it arrived) until :meth:`release`."""
        self._held = True
        self._gate.clear()

    def release(self) -> None:
        """Let a held event go on (it is then applied as usual)."""
        self._gate.set()

    async def wait_for_arrivals(self, count: int, *, timeout: float = 10.0) -> None:
        """Await until ``count`` events have arrived (held or not)."""
        async with asyncio.timeout(timeout), self._arrivals:
            await self._arrivals.wait_for(lambda: self.arrived >= count)

    def enqueued(self, action: str | None = None) -> list[PdEvent]:
        """The accepted events (of one ``event_action``, if given)."""
        return [e for e in self.events if action is None or e.event_action == action]

    # --- plumbing --------------------------------------------------------------------------

    async def _screen(self, request: web.Request, *, rest: bool) -> web.Response | None:
        """Faults first, then (REST only) the token; None when the request may proceed."""
        if self._faults:
            fault = self._faults[0]
            fault.times -= 1
            if fault.times <= 0:
                self._faults.pop(0)
            if fault.delay:
                await asyncio.sleep(fault.delay)
            if fault.status:
                headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after else {}
                body = {"error": {"message": "Fault injected", "code": fault.status}}
                return self._answer(request, fault.status, body, headers=headers)
        if rest and request.headers.get("Authorization") != f"Token token={self.token}":
            body = {"error": {"message": "Unauthorized", "code": 2006}}
            return self._answer(request, 401, body)
        return None

    def _answer(
        self,
        request: web.Request,
        status: int,
        body: JSON,
        *,
        headers: dict[str, str] | None = None,
    ) -> web.Response:
        self.requests.append((request.path, status))
        return web.json_response(body, status=status, headers=headers)

    def _page(self, request: web.Request, key: str, items: list[JSON]) -> web.Response:
        limit = min(int(request.query.get("limit", "25")), 100)
        offset = int(request.query.get("offset", "0"))
        chunk = items[offset : offset + limit]
        body = {
            key: chunk,
            "limit": limit,
            "offset": offset,
            "more": offset + limit < len(items),
            "total": None,
        }
        return self._answer(request, 200, body)

    # --- REST ------------------------------------------------------------------------------

    async def _services(self, request: web.Request) -> web.Response:
        refused = await self._screen(request, rest=True)
        return refused or self._page(request, "services", [service(i) for i in SERVICES])

    async def _service(self, request: web.Request) -> web.Response:
        refused = await self._screen(request, rest=True)
        if refused is not None:
            return refused
        ident = request.match_info["id"]
        if ident not in SERVICES:
            return self._answer(request, 404, {"error": {"message": "Not Found", "code": 2100}})
        return self._answer(request, 200, {"service": service(ident)})

    async def _policies(self, request: web.Request) -> web.Response:
        refused = await self._screen(request, rest=True)
        return refused or self._page(request, "escalation_policies", [policy()])

    async def _schedule(self, request: web.Request) -> web.Response:
        refused = await self._screen(request, rest=True)
        if refused is not None:
            return refused
        if request.match_info["id"] != SCHEDULE_ID:
            return self._answer(request, 404, {"error": {"message": "Not Found", "code": 2100}})
        users = [ref("user", u, USERS[u]) for u in SCHEDULE_USERS]
        schedule = {**ref("schedule", "PSCHED1", "Checkout primary"), "type": "schedule"}
        return self._answer(
            request, 200, {"schedule": {**schedule, "name": SCHEDULE_NAME, "users": users}}
        )

    async def _incidents(self, request: web.Request) -> web.Response:
        refused = await self._screen(request, rest=True)
        if refused is not None:
            return refused
        key = request.query.get("incident_key")
        found = [incident(i) for i in self.incidents if key is None or i.dedup_key == key]
        return self._page(request, "incidents", found)

    async def _oncalls(self, request: web.Request) -> web.Response:
        refused = await self._screen(request, rest=True)
        if refused is not None:
            return refused
        query = request.query
        try:
            since = instant(query.get("since")) or datetime.now(UTC)
            until = instant(query.get("until")) or since
        except ValueError:
            return self._answer(request, 400, {"error": {"message": "Invalid Input Provided"}})
        policies = query.getall("escalation_policy_ids[]", [])
        schedules = query.getall("schedule_ids[]", [])
        entries = oncall_entries(since, until)
        if policies:
            entries = [e for e in entries if e["escalation_policy"]["id"] in policies]
        if schedules:
            entries = [e for e in entries if (e["schedule"] or {}).get("id") in schedules]
        if query.get("earliest") == "true":
            entries = earliest(entries)
        if "users" in query.getall("include[]", []):
            entries = [{**e, "user": user(e["user"]["id"])} for e in entries]
        return self._page(request, "oncalls", entries)

    # --- Events API v2 ---------------------------------------------------------------------

    async def _enqueue(self, request: web.Request) -> web.Response:
        refused = await self._screen(request, rest=False)
        if refused is not None:
            return refused
        async with self._arrivals:
            self.arrived += 1
            self._arrivals.notify_all()
        if self._held:
            self._held = False
            await self._gate.wait()
        try:
            event = await request.json()
        except ValueError:
            event = None
        errors = invalid(event, set(self.routing_keys.values()))
        if errors or not isinstance(event, dict):
            body = {"status": "invalid event", "message": "Event object is invalid"}
            return self._answer(request, 400, {**body, "errors": errors})
        action = event["event_action"]
        dedup = str(event.get("dedup_key") or uuid.uuid4().hex)
        self.events.append(
            PdEvent(event["routing_key"], action, dedup, dict(event.get("payload") or {}))
        )
        self._apply(event["routing_key"], action, dedup, event.get("payload") or {})
        body = {"status": "success", "message": "Event processed", "dedup_key": dedup}
        return self._answer(request, 202, body)

    def _apply(self, routing_key: str, action: str, dedup: str, payload: JSON) -> None:
        service = next(name for name, key in self.routing_keys.items() if key == routing_key)
        service_id = next((i for i, s in SERVICES.items() if s["name"] == service), "PSVC001")
        open_one = next(
            (i for i in self.incidents if i.dedup_key == dedup and i.status != "resolved"), None
        )
        if action == "trigger" and open_one is None:
            urgency = "high" if payload.get("severity") in ("critical", "error") else "low"
            number = len(self.incidents) + 1
            self.incidents.append(
                PdIncident(
                    f"PINC{number:04d}", number, service_id, dedup, payload["summary"], urgency
                )
            )
            opened = self.incidents[-1]
            opened.created_at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            self.webhooks.emit("incident.triggered", webhook_incident(opened), agent=INTEGRATION)
        elif open_one is not None and action in ("acknowledge", "resolve"):
            open_one.status = "acknowledged" if action == "acknowledge" else "resolved"
            event_type = f"incident.{open_one.status}"
            self.webhooks.emit(event_type, webhook_incident(open_one), agent=INTEGRATION)

    def act(self, incident_id: str, event_type: str, *, user: str, to: str | None = None) -> JSON:
        """A person (``user``, a user id) changes an incident in PagerDuty's web app:
        ``incident.acknowledged``, ``incident.resolved`` or ``incident.reassigned`` (to user
        ``to``); the webhook event sent (the subscription must exist)."""
        found = next(i for i in self.incidents if i.id == incident_id)
        if event_type == "incident.reassigned" and to is not None:
            found.assignee = to
        elif event_type in ("incident.acknowledged", "incident.resolved"):
            found.status = event_type.removeprefix("incident.")
        agent = ref("user", user, USERS[user])
        event = self.webhooks.emit(event_type, webhook_incident(found), agent=agent)
        if event is None:
            raise RuntimeError("no webhook subscription")
        return event
